with

source as (

    select * from {{ source('erp', 'sales_order_lines') }}

),

deduped as (

    {{ dedupe('source', ['order_id', 'line_number']) }}

),

renamed as (

    select
        -- keys
        order_id,
        line_number,
        -- ids
        sku,
        -- numbers
        quantity,
        unit_price,
        unit_cost,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
