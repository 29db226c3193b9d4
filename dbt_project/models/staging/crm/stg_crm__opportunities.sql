with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

deduped as (

    {{ dedupe('source', ['opportunity_id']) }}

),

renamed as (

    select
        -- keys
        opportunity_id,
        -- ids
        customer_id,
        owner_employee_id,
        -- strings
        stage,
        currency,
        -- numbers
        amount,
        {{ to_base_currency('amount', 'currency', 'coalesce(closed_date, created_date)') }} as amount_base,
        -- dates
        created_date,
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
