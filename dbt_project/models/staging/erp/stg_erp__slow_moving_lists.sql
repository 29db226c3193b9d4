with

source as (

    select * from {{ source('erp', 'slow_moving_lists') }}

),

deduped as (

    {{ dedupe('source', ['list_id']) }}

),

renamed as (

    select
        -- keys
        list_id,
        -- ids
        sku,
        -- strings
        month,
        submitted_by,
        -- numbers
        on_hand_qty,
        days_since_last_sale,
        -- timestamps
        submitted_at,
        -- derived
        {{ month_start_from_yyyy_mm('month') }} as month_start,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
