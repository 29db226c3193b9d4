with

source as (

    select * from {{ source('hr', 'trainings') }}

),

deduped as (

    {{ dedupe('source', ['training_id']) }}

),

renamed as (

    select
        -- keys
        training_id,
        -- ids
        employee_id,
        -- strings
        course,
        -- dates
        assigned_date,
        due_date,
        completed_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
