-- Cross-checks behind a sku's excess, one row per failed check and source record: purchases of at least twice
-- the sales of the same sku in a month, sales below cost, and forecast accuracy below 80% marked as the root
-- cause of a sku-month's excess (when the forecast contributed to it and the sku-month has volume enough).
with

attribution as (

    select
        sku, month, buyer_id, planner_id, forecast_qty, sold_qty, excess_qty, excess_value_base, operations_excess_qty,
        has_forecast
    from {{ ref('fct_inventory_attribution') }}

),

purchase_orders as (

    select po_id, buyer_id, ordered_at from {{ ref('stg_erp__purchase_orders') }}

),

purchase_order_lines as (

    select po_id, sku, quantity from {{ ref('stg_erp__purchase_order_lines') }}

),

order_lines as (

    select order_id, line_number, salesperson_id, sku, revenue_month, quantity, net_revenue_base, cost_base
    from {{ ref('int_sales_order_lines_converted') }}
    where is_shipped and quantity > 0

),

ordered as (

    select
        purchase_order_lines.sku,
        cast({{ dbt.date_trunc('month', 'purchase_orders.ordered_at') }} as date) as month,
        min(purchase_orders.buyer_id) as buyer_id,
        sum(purchase_order_lines.quantity) as ordered_qty
    from purchase_order_lines
    inner join purchase_orders
        on purchase_order_lines.po_id = purchase_orders.po_id
    group by 1, 2

),

purchases_over_sales as (

    select
        'purchases_at_least_twice_sales' as check_name,
        ordered.sku || '|' || cast(ordered.month as {{ dbt.type_string() }}) as source_key,
        ordered.sku,
        ordered.month,
        ordered.buyer_id as employee_id,
        'purchasing' as department,
        cast(ordered.ordered_qty as {{ dbt.type_numeric() }}) as observed_value,
        cast(2 * coalesce(attribution.sold_qty, 0) as {{ dbt.type_numeric() }}) as threshold_value
    from ordered
    left join attribution
        on ordered.sku = attribution.sku
        and ordered.month = attribution.month
    where ordered.ordered_qty > 0
        and ordered.ordered_qty >= 2 * coalesce(attribution.sold_qty, 0)

),

sales_below_cost as (

    select
        'sale_below_cost' as check_name,
        order_id || '-' || cast(line_number as {{ dbt.type_string() }}) as source_key,
        sku,
        revenue_month as month,
        salesperson_id as employee_id,
        'sales' as department,
        cast(net_revenue_base as {{ dbt.type_numeric() }}) as observed_value,
        cast(cost_base as {{ dbt.type_numeric() }}) as threshold_value
    from order_lines
    where net_revenue_base < cost_base

),

-- sku-month accuracy 1 - |D - F| / D (0 when nothing sold against a positive forecast) below
-- var forecast_root_cause_accuracy (0.8), in a sku-month with excess to which the forecast contributed (operations'
-- Shapley share above 0: a forecast equal to sales' own commitment leaves the miss to sales) and with at least
-- var forecast_root_cause_min_qty units forecast or sold (a low-volume sku-month's accuracy is noise)
forecast_root_causes as (

    select
        'forecast_accuracy_root_cause' as check_name,
        sku || '|' || cast(month as {{ dbt.type_string() }}) as source_key,
        sku,
        month,
        planner_id as employee_id,
        'operations' as department,
        cast(
            case
                when sold_qty > 0 then 1 - abs(sold_qty - forecast_qty) / sold_qty
                else 0
            end
        as {{ dbt.type_numeric() }}) as observed_value,
        cast({{ var('forecast_root_cause_accuracy') }} as {{ dbt.type_numeric() }}) as threshold_value
    from attribution
    where has_forecast
        and excess_qty > 0
        and operations_excess_qty > 0
        and (
            forecast_qty >= {{ var('forecast_root_cause_min_qty') }}
            or sold_qty >= {{ var('forecast_root_cause_min_qty') }}
        )
        and (
            (sold_qty > 0 and 1 - abs(sold_qty - forecast_qty) / sold_qty < {{ var('forecast_root_cause_accuracy') }})
            or (sold_qty <= 0 and forecast_qty > 0)
        )

),

final as (

    select * from purchases_over_sales
    union all
    select * from sales_below_cost
    union all
    select * from forecast_root_causes

)

select * from final
