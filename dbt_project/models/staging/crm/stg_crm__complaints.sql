with

source as (

    select * from {{ source('crm', 'complaints') }}

),

deduped as (

    {{ dedupe('source', ['complaint_id']) }}

),

renamed as (

    select
        -- keys
        complaint_id,
        -- ids
        customer_id,
        order_id,
        responsible_department_id,
        -- strings
        category,
        -- timestamps
        received_at,
        resolved_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
