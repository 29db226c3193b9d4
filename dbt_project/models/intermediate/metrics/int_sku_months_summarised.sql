with

snapshots as (

    select snapshot_date, sku, on_hand_qty, unit_cost from {{ ref('stg_erp__inventory_snapshots') }}

),

receipts as (

    select po_id, line_number, received_qty, rejected_qty, received_at from {{ ref('stg_erp__receipts') }}

),

purchase_order_lines as (

    select po_id, line_number, sku from {{ ref('stg_erp__purchase_order_lines') }}

),

order_lines as (

    select sku, revenue_month, quantity, shipped_cost_base
    from {{ ref('int_sales_order_lines_converted') }}
    where is_shipped

),

products as (

    select sku from {{ ref('stg_erp__products') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

calendar as (

    {{ date_spine('data_window.window_start', 'data_window.window_end', bounds_relation='data_window') }}

),

months as (

    select distinct
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month
    from calendar

),

-- end-of-day stock per sku and day, all warehouses together
sku_days as (

    select
        snapshot_date,
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month,
        sku,
        sum(on_hand_qty) as on_hand_qty,
        sum(cast(on_hand_qty as {{ dbt.type_numeric() }}) * unit_cost) as on_hand_value
    from snapshots
    group by snapshot_date, sku

),

snapshot_days as (

    select
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as month,
        count(distinct snapshot_date) as snapshot_days,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from snapshots
    group by cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date)

),

stock_sums as (

    select
        month,
        sku,
        sum(on_hand_value) as on_hand_value_sum
    from sku_days
    group by month, sku

),

received as (

    select
        purchase_order_lines.sku,
        cast({{ dbt.date_trunc('month', 'receipts.received_at') }} as date) as month,
        sum(receipts.received_qty - coalesce(receipts.rejected_qty, 0)) as received_qty
    from receipts
    inner join purchase_order_lines
        on receipts.po_id = purchase_order_lines.po_id
        and receipts.line_number = purchase_order_lines.line_number
    group by purchase_order_lines.sku, cast({{ dbt.date_trunc('month', 'receipts.received_at') }} as date)

),

shipped as (

    select
        sku,
        revenue_month as month,
        sum(quantity) as shipped_qty,
        sum(shipped_cost_base) as cogs_base
    from order_lines
    group by sku, revenue_month

),

sku_months as (

    select
        products.sku,
        months.month,
        {{ dbt.datediff('months.month', dbt.dateadd('month', 1, 'months.month'), 'day') }} as calendar_days,
        snapshot_days.snapshot_days,
        snapshot_days.first_snapshot_date,
        snapshot_days.last_snapshot_date,
        -- the last snapshot day before the month (the previous month's last), for the opening stock
        previous_days.last_snapshot_date as previous_snapshot_date
    from products
    cross join months
    left join snapshot_days
        on months.month = snapshot_days.month
    left join snapshot_days as previous_days
        on previous_days.month = cast({{ dbt.dateadd('month', -1, 'months.month') }} as date)

),

final as (

    select
        -- keys
        sku_months.sku,
        sku_months.month,
        -- numbers
        cast(sku_months.calendar_days as {{ dbt.type_bigint() }}) as calendar_days,
        cast(coalesce(sku_months.snapshot_days, 0) as {{ dbt.type_bigint() }}) as snapshot_days,
        cast(coalesce(opening.on_hand_qty, 0) as {{ dbt.type_numeric() }}) as opening_qty,
        cast(coalesce(closing.on_hand_qty, 0) as {{ dbt.type_numeric() }}) as closing_qty,
        cast(coalesce(received.received_qty, 0) as {{ dbt.type_numeric() }}) as received_qty,
        cast(coalesce(shipped.shipped_qty, 0) as {{ dbt.type_numeric() }}) as shipped_qty,
        cast(coalesce(shipped.cogs_base, 0) as {{ dbt.type_numeric() }}) as cogs_base,
        -- stock at cost summed over the calendar days of the month (inventory-days); snapshot days stand
        -- for the days without one, so sum / calendar_days is the month's average inventory at cost
        cast(
            case
                when sku_months.snapshot_days > 0 then
                    coalesce(stock_sums.on_hand_value_sum, 0) * sku_months.calendar_days / sku_months.snapshot_days
            end
        as {{ dbt.type_numeric() }}) as inventory_days_at_cost,
        cast(coalesce(closing.on_hand_value, 0) as {{ dbt.type_numeric() }}) as closing_value_base
    from sku_months
    left join stock_sums
        on sku_months.sku = stock_sums.sku
        and sku_months.month = stock_sums.month
    -- opening: end of the last snapshot day before the month; in the first month of data, the first day's
    left join sku_days as opening
        on sku_months.sku = opening.sku
        and opening.snapshot_date = coalesce(sku_months.previous_snapshot_date, sku_months.first_snapshot_date)
    left join sku_days as closing
        on sku_months.sku = closing.sku
        and closing.snapshot_date = sku_months.last_snapshot_date
    left join received
        on sku_months.sku = received.sku
        and sku_months.month = received.month
    left join shipped
        on sku_months.sku = shipped.sku
        and sku_months.month = shipped.month

)

select * from final
