with

source as (

    select * from {{ source('hr', 'surveys') }}

),

deduped as (

    {{ dedupe('source', ['response_id']) }}

),

renamed as (

    select
        -- keys
        response_id,
        -- ids
        respondent_employee_id,
        target_department_id,
        -- strings
        question,
        -- numbers
        score,
        -- dates
        survey_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
