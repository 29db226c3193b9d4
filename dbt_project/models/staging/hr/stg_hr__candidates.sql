with

source as (

    select * from {{ source('hr', 'candidates') }}

),

deduped as (

    {{ dedupe('source', ['candidate_id']) }}

),

renamed as (

    select
        -- keys
        candidate_id,
        -- ids
        requisition_id,
        hired_employee_id,
        -- strings
        stage,
        -- dates
        applied_date,
        offer_date,
        offer_accepted_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
