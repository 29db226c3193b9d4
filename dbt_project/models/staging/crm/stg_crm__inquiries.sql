with

source as (

    select * from {{ source('crm', 'inquiries') }}

),

deduped as (

    {{ dedupe('source', ['inquiry_id']) }}

),

renamed as (

    select
        -- keys
        inquiry_id,
        -- ids
        customer_id,
        assignee_employee_id,
        -- strings
        channel,
        -- timestamps
        received_at,
        first_response_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
