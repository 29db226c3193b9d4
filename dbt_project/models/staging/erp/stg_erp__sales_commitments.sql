with

source as (

    select * from {{ source('erp', 'sales_commitments') }}

),

deduped as (

    {{ dedupe('source', ['sku', 'month', 'salesperson_id']) }}

),

renamed as (

    select
        -- keys
        sku,
        month,
        salesperson_id,
        -- numbers
        committed_qty,
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
