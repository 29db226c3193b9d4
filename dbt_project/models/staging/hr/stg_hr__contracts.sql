with

source as (

    select * from {{ source('hr', 'contracts') }}

),

deduped as (

    {{ dedupe('source', ['contract_id']) }}

),

renamed as (

    select
        -- keys
        contract_id,
        -- ids
        employee_id,
        -- strings
        contract_type,
        responsibilities,
        kpi_terms,
        -- dates
        signed_date,
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
