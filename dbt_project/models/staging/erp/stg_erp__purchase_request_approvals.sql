with

source as (

    select * from {{ source('erp', 'purchase_request_approvals') }}

),

deduped as (

    {{ dedupe('source', ['request_id', 'step']) }}

),

renamed as (

    select
        -- keys
        request_id,
        step,
        -- ids
        actor_id,
        -- strings
        decision,
        -- timestamps
        acted_at,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
