{%- set rule = 'supply_late' -%}
-- supply_late: a purchase order line whose first receipt came more than `threshold` hours after the end of its
-- due date (received on the due date is on time, as in the KPI on_time_supply_rate), or that has no receipt and
-- the end of the window's last day is more than `threshold` hours past the due date's end. Exactly `threshold`
-- hours late is not an alert. Value: hours late (to the first receipt, else to the end of the window); the alert
-- became true on the day the `threshold` hours ran out.
with

purchase_order_lines as (

    select po_id, line_number, sku, due_date from {{ ref('stg_erp__purchase_order_lines') }}

),

purchase_orders as (

    select po_id, request_id, supplier_id, buyer_id from {{ ref('stg_erp__purchase_orders') }}

),

purchase_requests as (

    select request_id, requester_id from {{ ref('stg_erp__purchase_requests') }}

),

receipts as (

    select po_id, line_number, received_at from {{ ref('stg_erp__receipts') }}

),

data_window as (

    select window_end from {{ ref('int_data_window') }}

),

first_receipts as (

    select po_id, line_number, min(received_at) as first_received_at
    from receipts
    group by po_id, line_number

),

lines as (

    select
        purchase_order_lines.po_id,
        purchase_order_lines.line_number,
        purchase_order_lines.sku,
        purchase_order_lines.due_date,
        purchase_orders.supplier_id,
        purchase_orders.buyer_id,
        purchase_requests.requester_id,
        first_receipts.first_received_at,
        data_window.window_end,
        cast({{ dbt.dateadd('day', 1, 'purchase_order_lines.due_date') }} as {{ dbt.type_timestamp() }}) as due_end_at,
        cast({{ dbt.dateadd('day', 1, 'data_window.window_end') }} as {{ dbt.type_timestamp() }}) as as_of_at
    from purchase_order_lines
    inner join purchase_orders
        on purchase_order_lines.po_id = purchase_orders.po_id
    cross join data_window
    left join purchase_requests
        on purchase_orders.request_id = purchase_requests.request_id
    left join first_receipts
        on purchase_order_lines.po_id = first_receipts.po_id
        and purchase_order_lines.line_number = first_receipts.line_number
    where purchase_order_lines.due_date is not null

),

measured as (

    select
        lines.*,
        {{ dbt.datediff('due_end_at', 'coalesce(first_received_at, as_of_at)', 'second') }} as late_seconds
    from lines

),

final as (

    select
        -- keys
        '{{ rule }}' as rule,
        'purchase_order_line' as subject_type,
        po_id || '-' || cast(line_number as {{ dbt.type_string() }}) as subject_id,
        -- the due date
        cast(due_date as {{ dbt.type_string() }}) as about,
        -- people
        buyer_id as primary_employee_id,
        {{ distinct_ids(['buyer_id', 'requester_id']) }} as responsible_employee_ids,
        -- numbers
        cast({{ divide('late_seconds', 3600) }} as {{ dbt.type_numeric() }}) as measured_value,
        cast({{ alert_setting(rule, 'threshold') }} as {{ dbt.type_numeric() }}) as threshold_value,
        'hours' as unit,
        case
            when first_received_at is null
                then 'not received; sku ' || sku || ', supplier ' || coalesce(supplier_id, '?')
            else 'received late; sku ' || sku || ', supplier ' || coalesce(supplier_id, '?')
        end as detail,
        -- dates
        cast({{ dbt.dateadd('hour', alert_setting(rule, 'threshold'), 'due_end_at') }} as date) as became_true_date,
        coalesce(cast(first_received_at as date), window_end) as last_true_date,
        first_received_at is null as is_current
    from measured
    where late_seconds > {{ alert_setting(rule, 'threshold') }} * 3600

)

select * from final
