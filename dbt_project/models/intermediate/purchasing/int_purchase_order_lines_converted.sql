with

order_lines as (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

orders as (

    select * from {{ ref('stg_erp__purchase_orders') }}

),

joined as (

    select
        order_lines.po_id,
        order_lines.line_number,
        orders.request_id,
        orders.supplier_id,
        orders.buyer_id,
        order_lines.sku,
        orders.currency,
        order_lines.quantity,
        order_lines.unit_cost,
        cast(order_lines.quantity as {{ dbt.type_numeric() }}) * order_lines.unit_cost as line_cost,
        cast(orders.ordered_at as date) as ordered_date,
        order_lines.due_date,
        orders.ordered_at
    from order_lines
    inner join orders
        on order_lines.po_id = orders.po_id

),

final as (

    select
        -- keys
        po_id,
        line_number,
        -- ids
        request_id,
        supplier_id,
        buyer_id,
        sku,
        -- strings
        currency,
        -- numbers
        quantity,
        unit_cost,
        {{ to_base_currency('unit_cost', 'currency', 'ordered_date') }} as unit_cost_base,
        cast(line_cost as {{ dbt.type_numeric() }}) as line_cost,
        {{ to_base_currency('line_cost', 'currency', 'ordered_date') }} as line_cost_base,
        -- dates
        ordered_date,
        due_date,
        -- timestamps
        ordered_at
    from joined

)

select * from final
