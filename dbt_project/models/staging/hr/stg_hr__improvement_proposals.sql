with

source as (

    select * from {{ source('hr', 'improvement_proposals') }}

),

deduped as (

    {{ dedupe('source', ['proposal_id']) }}

),

renamed as (

    select
        -- keys
        proposal_id,
        -- ids
        employee_id,
        -- strings
        title,
        status,
        -- dates
        submitted_date,
        decided_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
