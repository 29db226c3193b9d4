with

source as (

    select * from {{ source('crm', 'satisfaction_responses') }}

),

deduped as (

    {{ dedupe('source', ['response_id']) }}

),

renamed as (

    select
        -- keys
        response_id,
        -- ids
        customer_id,
        employee_id,
        -- numbers
        score,
        -- timestamps
        responded_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
