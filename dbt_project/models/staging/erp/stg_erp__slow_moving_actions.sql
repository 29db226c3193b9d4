with

source as (

    select * from {{ source('erp', 'slow_moving_actions') }}

),

deduped as (

    {{ dedupe('source', ['action_id']) }}

),

renamed as (

    select
        -- keys
        action_id,
        -- ids
        list_id,
        -- strings
        action_type,
        taken_by,
        -- numbers
        quantity,
        -- timestamps
        taken_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
