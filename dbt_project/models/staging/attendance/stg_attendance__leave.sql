with

source as (

    select * from {{ source('attendance', 'leave') }}

),

deduped as (

    {{ dedupe('source', ['leave_id']) }}

),

renamed as (

    select
        -- keys
        leave_id,
        -- ids
        employee_id,
        -- strings
        leave_type,
        status,
        -- dates
        start_date,
        end_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
