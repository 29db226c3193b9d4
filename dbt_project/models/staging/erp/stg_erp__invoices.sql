with

source as (

    select * from {{ source('erp', 'invoices') }}

),

deduped as (

    {{ dedupe('source', ['invoice_id']) }}

),

renamed as (

    select
        -- keys
        invoice_id,
        -- ids
        order_id,
        -- strings
        currency,
        -- numbers
        amount,
        {{ to_base_currency('amount', 'currency', 'invoice_date') }} as amount_base,
        -- dates
        invoice_date,
        due_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
