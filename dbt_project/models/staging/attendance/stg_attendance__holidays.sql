with

source as (

    select * from {{ source('attendance', 'holidays') }}

),

deduped as (

    {{ dedupe('source', ['country', 'holiday_date']) }}

),

renamed as (

    select
        -- keys
        country,
        holiday_date,
        -- strings
        holiday_name,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
