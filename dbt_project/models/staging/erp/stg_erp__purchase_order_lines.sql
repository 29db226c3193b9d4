with

source as (

    select * from {{ source('erp', 'purchase_order_lines') }}

),

deduped as (

    {{ dedupe('source', ['po_id', 'line_number']) }}

),

renamed as (

    select
        -- keys
        po_id,
        line_number,
        -- ids
        sku,
        -- numbers
        quantity,
        unit_cost,
        -- dates
        due_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
