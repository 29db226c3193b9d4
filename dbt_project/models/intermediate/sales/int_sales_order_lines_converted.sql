with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

orders as (

    select * from {{ ref('stg_erp__sales_orders') }}

),

joined as (

    select
        order_lines.order_id,
        order_lines.line_number,
        orders.customer_id,
        orders.salesperson_id,
        order_lines.sku,
        orders.channel,
        orders.region,
        orders.currency,
        orders.status,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.unit_cost as unit_cost_base,
        cast(order_lines.quantity as {{ dbt.type_numeric() }}) * order_lines.unit_price as net_amount,
        cast(order_lines.quantity as {{ dbt.type_numeric() }}) * order_lines.unit_cost as cost_base,
        orders.shipped_at is not null as is_shipped,
        cast(orders.ordered_at as date) as ordered_date,
        cast(orders.shipped_at as date) as shipped_date,
        orders.ordered_at,
        orders.confirmed_at,
        orders.shipped_at
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    where orders.status <> 'cancelled'

),

converted as (

    select
        joined.*,
        {{ to_base_currency('net_amount', 'currency', 'ordered_date') }} as order_amount_base,
        case
            when is_shipped then {{ to_base_currency('net_amount', 'currency', 'shipped_date') }}
        end as net_revenue_base
    from joined

),

final as (

    select
        -- keys
        order_id,
        line_number,
        -- ids
        customer_id,
        salesperson_id,
        sku,
        -- strings
        channel,
        region,
        currency,
        status,
        -- numbers
        quantity,
        unit_price,
        unit_cost_base,
        cast(net_amount as {{ dbt.type_numeric() }}) as net_amount,
        order_amount_base,
        cast(net_revenue_base as {{ dbt.type_numeric() }}) as net_revenue_base,
        cast(cost_base as {{ dbt.type_numeric() }}) as cost_base,
        cast(case when is_shipped then cost_base end as {{ dbt.type_numeric() }}) as shipped_cost_base,
        cast(case when is_shipped then net_revenue_base - cost_base end as {{ dbt.type_numeric() }}) as gross_margin_base,
        -- booleans
        is_shipped,
        -- dates
        ordered_date,
        shipped_date,
        cast({{ dbt.date_trunc('month', 'shipped_date') }} as date) as revenue_month,
        -- timestamps
        ordered_at,
        confirmed_at,
        shipped_at
    from converted

)

select * from final
