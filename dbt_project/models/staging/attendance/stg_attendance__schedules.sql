with

source as (

    select * from {{ source('attendance', 'schedules') }}

),

deduped as (

    {{ dedupe('source', ['employee_id', 'valid_from']) }}

),

renamed as (

    select
        -- keys
        employee_id,
        valid_from,
        -- strings
        schedule_type,
        window_start,
        window_end,
        -- numbers
        required_hours,
        -- dates
        valid_to,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
