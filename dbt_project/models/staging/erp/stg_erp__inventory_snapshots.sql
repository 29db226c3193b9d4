{{ config(**monthly_incremental_config()) }}

with

source as (

    select * from {{ source('erp', 'inventory_snapshots') }}
    where {{ monthly_window('snapshot_date', source('erp', 'inventory_snapshots')) }}

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
        _row_hash,
        -- incremental month (macro monthly_incremental_config)
        {{ partition_month('snapshot_date') }} as _partition_month

    from deduped

)

select * from renamed
