with

source as (

    select * from {{ source('erp', 'purchase_requests') }}

),

deduped as (

    {{ dedupe('source', ['request_id']) }}

),

renamed as (

    select
        -- keys
        request_id,
        -- ids
        sku,
        requester_id,
        -- numbers
        quantity,
        stock_on_hand,
        sales_3m_qty,
        days_of_cover,
        -- timestamps
        requested_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
