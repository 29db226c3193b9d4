-- A salesperson's workbench: per owned sku, as of the end of the data window, the current stock, the last 3
-- months' sales, days of cover and slow-moving warnings, with the sales share of the sku's excess to date.
with

products as (

    select sku, product_name, owner_salesperson_id, launch_date from {{ ref('stg_erp__products') }}

),

sku_months as (

    select sku, month, calendar_days, closing_qty, closing_value_base, shipped_qty
    from {{ ref('int_sku_months_summarised') }}

),

attribution as (

    select sku, month, sales_excess_value_base from {{ ref('fct_inventory_attribution') }}

),

order_lines as (

    select sku, shipped_date
    from {{ ref('int_sales_order_lines_converted') }}
    where is_shipped and quantity > 0

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

last_month as (

    select max(month) as month from sku_months

),

recent as (

    select
        sku_months.sku,
        sum(sku_months.shipped_qty) as sales_3m_qty,
        sum(sku_months.calendar_days) as sales_3m_days
    from sku_months
    cross join last_month
    where sku_months.month > cast({{ dbt.dateadd('month', -3, 'last_month.month') }} as date)
        and sku_months.month <= last_month.month
    group by sku_months.sku

),

current_stock as (

    select sku_months.sku, sku_months.closing_qty, sku_months.closing_value_base
    from sku_months
    inner join last_month
        on sku_months.month = last_month.month

),

last_sales as (

    select sku, max(shipped_date) as last_sale_date from order_lines group by sku

),

excess_to_date as (

    select sku, sum(sales_excess_value_base) as sales_excess_value_base from attribution group by sku

),

final as (

    select
        -- keys
        products.owner_salesperson_id as salesperson_id,
        products.sku,
        -- strings
        products.product_name,
        -- dates
        data_window.window_end as as_of_date,
        products.launch_date,
        last_sales.last_sale_date,
        -- numbers
        cast(coalesce(current_stock.closing_qty, 0) as {{ dbt.type_numeric() }}) as stock_qty,
        cast(coalesce(current_stock.closing_value_base, 0) as {{ dbt.type_numeric() }}) as stock_value_base,
        cast(coalesce(recent.sales_3m_qty, 0) as {{ dbt.type_numeric() }}) as sales_3m_qty,
        cast(
            case
                when recent.sales_3m_qty > 0
                    then coalesce(current_stock.closing_qty, 0) * recent.sales_3m_days / recent.sales_3m_qty
            end
        as {{ dbt.type_numeric() }}) as days_of_cover,
        cast(
            {{ dbt.datediff('coalesce(last_sales.last_sale_date, data_window.window_start)', 'data_window.window_end',
                'day') }}
        as {{ dbt.type_bigint() }}) as days_since_last_sale,
        cast(coalesce(excess_to_date.sales_excess_value_base, 0) as {{ dbt.type_numeric() }})
            as sales_excess_value_base_to_date,
        -- flags: no sale for slow_moving_days with stock on hand; or more than 90 days of cover
        coalesce(current_stock.closing_qty, 0) > 0
            and {{ dbt.datediff('coalesce(last_sales.last_sale_date, data_window.window_start)',
                'data_window.window_end', 'day') }} >= {{ var('slow_moving_days') }} as is_slow_moving,
        coalesce(current_stock.closing_qty, 0) > 0
            and (
                recent.sales_3m_qty is null
                or recent.sales_3m_qty <= 0
                or coalesce(current_stock.closing_qty, 0) * recent.sales_3m_days / recent.sales_3m_qty > 90
            ) as is_cover_over_90_days
    from products
    cross join data_window
    left join current_stock
        on products.sku = current_stock.sku
    left join recent
        on products.sku = recent.sku
    left join last_sales
        on products.sku = last_sales.sku
    left join excess_to_date
        on products.sku = excess_to_date.sku
    where products.owner_salesperson_id is not null

)

select * from final
