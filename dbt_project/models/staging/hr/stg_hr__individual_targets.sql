with

source as (

    select * from {{ source('hr', 'individual_targets') }}

),

deduped as (

    {{ dedupe('source', ['employee_id', 'kpi', 'month']) }}

),

renamed as (

    select
        -- keys
        employee_id,
        kpi,
        month,
        -- strings
        scope,
        -- numbers
        target_value,
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
