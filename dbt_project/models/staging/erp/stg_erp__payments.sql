with

source as (

    select * from {{ source('erp', 'payments') }}

),

deduped as (

    {{ dedupe('source', ['payment_id']) }}

),

renamed as (

    select
        -- keys
        payment_id,
        -- ids
        invoice_id,
        -- strings
        currency,
        -- numbers
        amount,
        {{ to_base_currency('amount', 'currency', 'paid_date') }} as amount_base,
        -- dates
        paid_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
