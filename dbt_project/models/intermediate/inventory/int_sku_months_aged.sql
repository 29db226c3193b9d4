-- Old stock per sku and month end, first in, first out: the units on hand at the end of the month that were not
-- received in the last var slow_moving_days (90) days have sat unsold at least that long. Stock received inside
-- the window is young (purchasing's recent decisions); only what nobody sold for 90 days counts as old.
with

sku_months as (

    select sku, month, closing_qty, closing_value_base from {{ ref('int_sku_months_summarised') }}

),

receipts as (

    select po_id, line_number, received_qty, rejected_qty, received_at from {{ ref('stg_erp__receipts') }}

),

purchase_order_lines as (

    select po_id, line_number, sku from {{ ref('stg_erp__purchase_order_lines') }}

),

received as (

    select
        purchase_order_lines.sku,
        cast(receipts.received_at as date) as received_date,
        receipts.received_qty - coalesce(receipts.rejected_qty, 0) as received_qty
    from receipts
    inner join purchase_order_lines
        on receipts.po_id = purchase_order_lines.po_id
        and receipts.line_number = purchase_order_lines.line_number

),

month_ends as (

    select
        sku,
        month,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month')) }} as date) as month_end,
        closing_qty,
        closing_value_base
    from sku_months

),

recent_receipts as (

    select
        month_ends.sku,
        month_ends.month,
        sum(received.received_qty) as received_qty
    from month_ends
    inner join received
        on month_ends.sku = received.sku
        and received.received_date <= month_ends.month_end
        and received.received_date
            > cast({{ dbt.dateadd('day', -var('slow_moving_days'), 'month_ends.month_end') }} as date)
    group by month_ends.sku, month_ends.month

),

aged as (

    select
        month_ends.sku,
        month_ends.month,
        month_ends.month_end,
        month_ends.closing_qty,
        month_ends.closing_value_base,
        coalesce(recent_receipts.received_qty, 0) as recent_received_qty,
        case
            when month_ends.closing_qty - coalesce(recent_receipts.received_qty, 0) > 0
                then month_ends.closing_qty - coalesce(recent_receipts.received_qty, 0)
            else 0
        end as old_qty
    from month_ends
    left join recent_receipts
        on month_ends.sku = recent_receipts.sku
        and month_ends.month = recent_receipts.month

),

final as (

    select
        -- keys
        sku,
        month,
        -- dates
        month_end,
        -- numbers
        cast(closing_qty as {{ dbt.type_numeric() }}) as closing_qty,
        cast(recent_received_qty as {{ dbt.type_numeric() }}) as recent_received_qty,
        cast(old_qty as {{ dbt.type_numeric() }}) as old_stock_qty,
        -- at the month end's average cost
        cast(
            case when closing_qty > 0 then {{ divide('old_qty * closing_value_base', 'closing_qty') }} else 0 end
        as {{ dbt.type_numeric() }}) as old_stock_value_base
    from aged

)

select * from final
