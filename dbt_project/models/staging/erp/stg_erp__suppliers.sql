with

source as (

    select * from {{ source('erp', 'suppliers') }}

),

deduped as (

    {{ dedupe('source', ['supplier_id']) }}

),

renamed as (

    select
        -- keys
        supplier_id,
        -- strings
        supplier_name,
        country,
        currency,
        -- numbers
        lead_time_days,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
