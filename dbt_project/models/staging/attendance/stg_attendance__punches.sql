{{ config(**monthly_incremental_config()) }}

with

source as (

    select * from {{ source('attendance', 'punches') }}
    where {{ monthly_window('punched_at', source('attendance', 'punches')) }}

),

deduped as (

    {{ dedupe('source', ['punch_id']) }}

),

renamed as (

    select
        -- keys
        punch_id,
        -- ids
        employee_id,
        device_id,
        -- strings
        direction,
        -- timestamps
        punched_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash,
        -- incremental month (macro monthly_incremental_config)
        {{ partition_month('punched_at') }} as _partition_month

    from deduped

)

select * from renamed
