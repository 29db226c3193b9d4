with

source as (

    select * from {{ source('crm', 'customers') }}

),

deduped as (

    {{ dedupe('source', ['customer_id']) }}

),

renamed as (

    select
        -- keys
        customer_id,
        -- ids
        owner_employee_id,
        -- strings
        customer_name,
        region,
        channel,
        -- timestamps
        created_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
