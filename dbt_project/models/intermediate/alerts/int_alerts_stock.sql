{%- set doi = 'days_of_inventory_over_threshold' -%}
{%- set new_stock = 'new_product_stock_over_days_of_sales' -%}
{%- set stock = 'stock_over_days_of_sales' -%}
-- Stock alerts per sku, from month-end stock (config/alerts.yml via var alerts):
--   days_of_inventory_over_threshold: average stock at cost / cost of goods sold x days in the window > threshold
--     (months with cost of goods sold only; a month without a sale is the days-of-sales rules' case);
--   new_product_stock_over_days_of_sales: a product launched within new_product_days, on sale for at least
--     grace_days, with month-end stock > threshold days of sales (or stock and no sale);
--   stock_over_days_of_sales: any other product, month-end stock > threshold days of sales (or stock and no sale).
-- Days of sales = month-end stock / daily units shipped over the month and the two before, counting only days in
-- the data window and on or after the launch. Consecutive months that break a rule are one alert (an episode),
-- about the episode's first month; its value is the latest month's.
with

sku_months as (

    select sku, month, calendar_days, closing_qty, shipped_qty, cogs_base, inventory_days_at_cost
    from {{ ref('int_sku_months_summarised') }}
    -- months with stock on record only (a month with a shipment but no snapshot yet says nothing about stock)
    where snapshot_days > 0

),

products as (

    select sku, launch_date, buyer_id, planner_id, owner_salesperson_id from {{ ref('stg_erp__products') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

bounded as (

    select
        sku_months.*,
        products.launch_date,
        products.buyer_id,
        products.planner_id,
        products.owner_salesperson_id,
        -- the latest month with stock on record: an episode that reaches it is current
        max(sku_months.month) over () as latest_month,
        -- the month's last day inside the window
        case
            when cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'sku_months.month')) }} as date)
                < data_window.window_end
                then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'sku_months.month')) }} as date)
            else data_window.window_end
        end as period_end,
        -- the month's first day inside the window, and on or after the launch (for the rate of sale)
        case
            when sku_months.month >= data_window.window_start then sku_months.month
            else data_window.window_start
        end as window_from
    from sku_months
    inner join products
        on sku_months.sku = products.sku
    cross join data_window

),

day_counts as (

    select
        bounded.*,
        {{ dbt.datediff('window_from', 'period_end', 'day') }} + 1 as window_days,
        {{ dbt.datediff(
            'case when launch_date > window_from then launch_date else window_from end', 'period_end', 'day') }} + 1
            as sale_days_raw
    from bounded

),

measured as (

    select
        day_counts.*,
        case when sale_days_raw > 0 then sale_days_raw else 0 end as sale_days
    from day_counts

),

trailing_sales as (

    select
        current_month.sku,
        current_month.month,
        sum(previous_months.shipped_qty) as trailing_shipped_qty,
        sum(previous_months.sale_days) as trailing_sale_days
    from measured as current_month
    inner join measured as previous_months
        on current_month.sku = previous_months.sku
        and previous_months.month <= current_month.month
        and previous_months.month > cast({{ dbt.dateadd('month', -3, 'current_month.month') }} as date)
    group by current_month.sku, current_month.month

),

metrics as (

    select
        measured.sku,
        measured.month,
        measured.period_end,
        measured.latest_month,
        measured.buyer_id,
        measured.planner_id,
        measured.owner_salesperson_id,
        measured.closing_qty,
        measured.launch_date is not null
            and measured.launch_date <= measured.period_end
            and {{ dbt.datediff('measured.launch_date', 'measured.period_end', 'day') }}
                < {{ alert_setting(new_stock, 'new_product_days') }} as is_new_product,
        measured.launch_date is not null
            and {{ dbt.datediff('measured.launch_date', 'measured.period_end', 'day') }} + 1
                < {{ alert_setting(new_stock, 'grace_days') }} as is_in_grace,
        measured.launch_date is not null and measured.launch_date > measured.period_end as is_before_launch,
        trailing_sales.trailing_shipped_qty,
        cast(
            case
                when measured.cogs_base > 0 and measured.calendar_days > 0
                    then {{ divide('measured.inventory_days_at_cost * measured.window_days',
                                   'measured.calendar_days * measured.cogs_base') }}
            end
        as {{ dbt.type_numeric() }}) as days_of_inventory,
        cast(
            case
                when trailing_sales.trailing_shipped_qty > 0
                    then {{ divide('measured.closing_qty * trailing_sales.trailing_sale_days',
                                   'trailing_sales.trailing_shipped_qty') }}
            end
        as {{ dbt.type_numeric() }}) as days_of_sales
    from measured
    inner join trailing_sales
        on measured.sku = trailing_sales.sku
        and measured.month = trailing_sales.month

),

broken as (

    select
        '{{ doi }}' as rule,
        sku, month, period_end, latest_month, buyer_id as primary_employee_id, buyer_id, planner_id,
        owner_salesperson_id, days_of_inventory as measured_value,
        cast({{ alert_setting(doi, 'threshold') }} as {{ dbt.type_numeric() }}) as threshold_value,
        'days of inventory (average stock at cost / cost of goods sold x days)' as detail
    from metrics
    where days_of_inventory > {{ alert_setting(doi, 'threshold') }}

    union all

    select
        '{{ new_stock }}',
        sku, month, period_end, latest_month, owner_salesperson_id, buyer_id, planner_id, owner_salesperson_id,
        days_of_sales,
        cast({{ alert_setting(new_stock, 'threshold') }} as {{ dbt.type_numeric() }}),
        case
            when days_of_sales is null then 'new product: stock and no sale in the last 3 months'
            else 'new product: month-end stock in days of sales (last 3 months)'
        end
    from metrics
    where is_new_product
        and not is_in_grace
        and closing_qty > 0
        and (days_of_sales is null or days_of_sales > {{ alert_setting(new_stock, 'threshold') }})

    union all

    select
        '{{ stock }}',
        sku, month, period_end, latest_month, owner_salesperson_id, buyer_id, planner_id, owner_salesperson_id,
        days_of_sales,
        cast({{ alert_setting(stock, 'threshold') }} as {{ dbt.type_numeric() }}),
        case
            when days_of_sales is null then 'stock and no sale in the last 3 months'
            else 'month-end stock in days of sales (last 3 months)'
        end
    from metrics
    where not is_new_product
        and not is_before_launch
        and closing_qty > 0
        and (days_of_sales is null or days_of_sales > {{ alert_setting(stock, 'threshold') }})

),

-- consecutive months of one rule and sku form an episode (gaps and islands)
islands as (

    select
        broken.*,
        {{ dbt.datediff("cast('2000-01-01' as date)", 'month', 'month') }}
            - row_number() over (partition by rule, sku order by month) as island
    from broken

),

episodes as (

    select
        islands.*,
        min(month) over (partition by rule, sku, island) as first_month,
        min(period_end) over (partition by rule, sku, island) as became_true_date,
        max(period_end) over (partition by rule, sku, island) as last_true_date,
        max(month) over (partition by rule, sku, island) as last_month,
        row_number() over (partition by rule, sku, island order by month desc) as latest_rank
    from islands

),

final as (

    select
        -- keys
        rule,
        'sku' as subject_type,
        sku as subject_id,
        -- the period the alert is about: the episode's first month, 'YYYY-MM'
        substring(cast(first_month as {{ dbt.type_string() }}), 1, 7) as about,
        -- people
        primary_employee_id,
        {{ distinct_ids(['primary_employee_id', 'owner_salesperson_id', 'planner_id', 'buyer_id']) }}
            as responsible_employee_ids,
        -- numbers (the episode's latest month)
        measured_value,
        threshold_value,
        case when rule = '{{ doi }}' then 'days' else 'days of sales' end as unit,
        detail,
        -- dates
        became_true_date,
        last_true_date,
        last_month = latest_month as is_current
    from episodes
    where latest_rank = 1

)

select * from final
