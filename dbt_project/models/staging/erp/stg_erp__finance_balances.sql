with

source as (

    select * from {{ source('erp', 'finance_balances') }}

),

deduped as (

    {{ dedupe('source', ['month', 'account']) }}

),

renamed as (

    select
        -- keys
        month,
        account,
        -- numbers
        amount,
        -- derived
        {{ month_start_from_yyyy_mm('month') }} as month_start,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
