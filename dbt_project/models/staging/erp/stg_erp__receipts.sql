with

source as (

    select * from {{ source('erp', 'receipts') }}

),

deduped as (

    {{ dedupe('source', ['receipt_id']) }}

),

renamed as (

    select
        -- keys
        receipt_id,
        -- ids
        po_id,
        -- numbers
        line_number,
        received_qty,
        rejected_qty,
        -- timestamps
        received_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
