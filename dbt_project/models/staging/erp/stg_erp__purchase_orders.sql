with

source as (

    select * from {{ source('erp', 'purchase_orders') }}

),

deduped as (

    {{ dedupe('source', ['po_id']) }}

),

renamed as (

    select
        -- keys
        po_id,
        -- ids
        request_id,
        supplier_id,
        buyer_id,
        -- strings
        currency,
        -- timestamps
        ordered_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
