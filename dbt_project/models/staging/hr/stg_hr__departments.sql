with

source as (

    select * from {{ source('hr', 'departments') }}

),

deduped as (

    {{ dedupe('source', ['department_id']) }}

),

renamed as (

    select
        -- keys
        department_id,
        -- ids
        parent_department_id,
        -- strings
        department_name,
        function as department_function,
        region,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
