with

source as (

    select * from {{ source('erp', 'products') }}

),

deduped as (

    {{ dedupe('source', ['sku']) }}

),

renamed as (

    select
        -- keys
        sku,
        -- ids
        owner_salesperson_id,
        planner_id,
        buyer_id,
        -- strings
        product_name,
        category,
        currency,
        -- numbers
        unit_cost,
        {{ to_base_currency('unit_cost', 'currency', 'launch_date') }} as unit_cost_base,
        list_price,
        {{ to_base_currency('list_price', 'currency', 'launch_date') }} as list_price_base,
        safety_days,
        -- dates
        launch_date,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
