with

source as (

    select * from {{ source('hr', 'employees') }}

),

deduped as (

    {{ dedupe('source', ['employee_id']) }}

),

renamed as (

    select
        -- keys
        employee_id,
        -- ids
        national_id,
        -- strings
        full_name,
        phone,
        email,
        termination_reason,
        country,
        timezone,
        -- dates
        birth_date,
        hire_date,
        termination_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
