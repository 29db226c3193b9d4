-- A salesperson's workbench: per owned sku, as of the end of the data window, the current stock, the last 3
-- months' sales, days of cover, unsold old stock (FIFO, older than slow_moving_days) and slow-moving warnings, with
-- the sales share of the sku's excess to date and the salesperson's role score of the latest month and year to date.
with

products as (

    select sku, product_name, owner_salesperson_id, launch_date from {{ ref('stg_erp__products') }}

),

sku_months as (

    select sku, month, calendar_days, snapshot_days, closing_qty, closing_value_base, shipped_qty
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

aged as (

    select sku, month, old_stock_qty, old_stock_value_base from {{ ref('int_sku_months_aged') }}

),

role_scores as (

    select employee_id, period_type, period_start, score_status, own_kpi_score, final_score
    from {{ ref('fct_role_scores') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

-- the last month with stock on record (orders shipped on the first days of a month without snapshots yet must not
-- make every sku's stock zero)
last_month as (

    select coalesce(max(case when snapshot_days > 0 then month end), max(month)) as month from sku_months

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

current_old_stock as (

    select aged.sku, aged.old_stock_qty, aged.old_stock_value_base
    from aged
    inner join last_month
        on aged.month = last_month.month

),

-- the salesperson's scores to date: the last month (the one the stock is from) and its calendar year to date
month_scores as (

    select role_scores.employee_id, role_scores.score_status, role_scores.own_kpi_score, role_scores.final_score
    from role_scores
    inner join last_month
        on role_scores.period_start = last_month.month
    where role_scores.period_type = 'month'

),

year_scores as (

    select role_scores.employee_id, role_scores.score_status, role_scores.own_kpi_score, role_scores.final_score
    from role_scores
    cross join last_month
    where role_scores.period_type = 'year'
        and role_scores.period_start = cast({{ dbt.date_trunc('year', 'last_month.month') }} as date)

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
                    then {{ divide('coalesce(current_stock.closing_qty, 0) * recent.sales_3m_days', 'recent.sales_3m_qty') }}
            end
        as {{ dbt.type_numeric() }}) as days_of_cover,
        cast(
            {{ dbt.datediff('coalesce(last_sales.last_sale_date, data_window.window_start)', 'data_window.window_end',
                'day') }}
        as {{ dbt.type_bigint() }}) as days_since_last_sale,
        cast(coalesce(current_old_stock.old_stock_qty, 0) as {{ dbt.type_numeric() }}) as old_stock_qty,
        cast(coalesce(current_old_stock.old_stock_value_base, 0) as {{ dbt.type_numeric() }}) as old_stock_value_base,
        cast(coalesce(excess_to_date.sales_excess_value_base, 0) as {{ dbt.type_numeric() }})
            as sales_excess_value_base_to_date,
        -- the salesperson's role scores (fct_role_scores): the month of as_of_date and its year to date
        month_scores.score_status as month_score_status,
        cast(month_scores.own_kpi_score as {{ dbt.type_numeric() }}) as month_kpi_score,
        cast(month_scores.final_score as {{ dbt.type_numeric() }}) as month_final_score,
        year_scores.score_status as ytd_score_status,
        cast(year_scores.own_kpi_score as {{ dbt.type_numeric() }}) as ytd_kpi_score,
        cast(year_scores.final_score as {{ dbt.type_numeric() }}) as ytd_final_score,
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
    left join current_old_stock
        on products.sku = current_old_stock.sku
    left join month_scores
        on products.owner_salesperson_id = month_scores.employee_id
    left join year_scores
        on products.owner_salesperson_id = year_scores.employee_id
    where products.owner_salesperson_id is not null

)

select * from final
