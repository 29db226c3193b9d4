{{ config(**monthly_incremental_config()) }}

with

source as (

    select * from {{ source('crm', 'activities') }}
    where {{ monthly_window('started_at', source('crm', 'activities')) }}

),

deduped as (

    {{ dedupe('source', ['activity_id']) }}

),

renamed as (

    select
        -- keys
        activity_id,
        -- ids
        employee_id,
        customer_id,
        -- strings
        method,
        content,
        outcome,
        -- numbers
        duration_minutes,
        -- timestamps
        started_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash,
        -- incremental month (macro monthly_incremental_config)
        {{ partition_month('started_at') }} as _partition_month

    from deduped

)

select * from renamed
