with

source as (

    select * from {{ source('erp', 'inventory_snapshots') }}

),

deduped as (

    {{ dedupe('source', ['snapshot_date', 'sku', 'warehouse_id']) }}

),

renamed as (

    select
        -- keys
        snapshot_date,
        sku,
        warehouse_id,
        -- numbers
        on_hand_qty,
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
