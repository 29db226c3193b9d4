with

source as (

    select * from {{ source('erp', 'demand_forecasts') }}

),

deduped as (

    {{ dedupe('source', ['sku', 'month', 'version']) }}

),

renamed as (

    select
        -- keys
        sku,
        month,
        version,
        -- ids
        planner_id,
        -- numbers
        forecast_qty,
        -- timestamps
        created_at,
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
