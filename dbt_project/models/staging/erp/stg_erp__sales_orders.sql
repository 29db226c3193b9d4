with

source as (

    select * from {{ source('erp', 'sales_orders') }}

),

deduped as (

    {{ dedupe('source', ['order_id']) }}

),

renamed as (

    select
        -- keys
        order_id,
        -- ids
        customer_id,
        salesperson_id,
        -- strings
        channel,
        region,
        currency,
        status,
        -- timestamps
        ordered_at,
        confirmed_at,
        shipped_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
