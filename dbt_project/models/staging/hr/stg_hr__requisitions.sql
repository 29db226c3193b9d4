with

source as (

    select * from {{ source('hr', 'requisitions') }}

),

deduped as (

    {{ dedupe('source', ['requisition_id']) }}

),

renamed as (

    select
        -- keys
        requisition_id,
        -- ids
        department_id,
        hiring_manager_id,
        recruiter_id,
        -- strings
        role,
        status,
        -- dates
        opened_date,
        closed_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
