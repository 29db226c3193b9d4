with

source as (

    select * from {{ source('hr', 'job_assignments') }}

),

deduped as (

    {{ dedupe('source', ['assignment_id']) }}

),

renamed as (

    select
        -- keys
        assignment_id,
        -- ids
        employee_id,
        department_id,
        manager_id,
        mentor_id,
        -- strings
        role,
        region,
        grade,
        -- booleans
        coalesce(is_mentor, false) as is_mentor,
        -- dates
        valid_from,
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
