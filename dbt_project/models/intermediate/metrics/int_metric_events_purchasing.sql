with

purchase_order_lines as (

    select * from {{ ref('int_purchase_order_lines_converted') }}

),

receipts as (

    select receipt_id, po_id, line_number, received_qty, rejected_qty, received_at
    from {{ ref('stg_erp__receipts') }}

),

purchase_requests as (

    select request_id, requester_id, requested_at, days_of_cover from {{ ref('stg_erp__purchase_requests') }}

),

approvals as (

    select request_id, step, decision, acted_at from {{ ref('stg_erp__purchase_request_approvals') }}

),

purchase_orders as (

    select distinct po_id, request_id, buyer_id, ordered_at, ordered_date
    from purchase_order_lines

),

receipt_lines as (

    select
        receipts.*,
        purchase_order_lines.buyer_id,
        purchase_order_lines.due_date
    from receipts
    inner join purchase_order_lines
        on receipts.po_id = purchase_order_lines.po_id
        and receipts.line_number = purchase_order_lines.line_number

),

-- when the request behind an order was approved (the approval step); without one, when it was made
request_ready as (

    select
        purchase_requests.request_id,
        purchase_requests.requester_id,
        purchase_requests.requested_at,
        purchase_requests.days_of_cover,
        max(case when approvals.step = 'approval' and approvals.decision = 'approved' then approvals.acted_at end)
            as approved_at,
        max(case when approvals.step = 'sales_confirmation' and approvals.decision in ('confirmed', 'approved')
            then 1 else 0 end) as is_sales_confirmed
    from purchase_requests
    left join approvals
        on purchase_requests.request_id = approvals.request_id
    group by
        purchase_requests.request_id,
        purchase_requests.requester_id,
        purchase_requests.requested_at,
        purchase_requests.days_of_cover

),

ordered_requests as (

    select
        purchase_orders.*,
        coalesce(request_ready.approved_at, request_ready.requested_at) as ready_at
    from purchase_orders
    inner join request_ready
        on purchase_orders.request_id = request_ready.request_id

),

-- the same sku's previous purchase price (base currency), for the price change of each line
priced_lines as (

    select
        purchase_order_lines.*,
        lag(unit_cost_base) over (
            partition by sku order by ordered_at, po_id, line_number
        ) as previous_unit_cost_base
    from purchase_order_lines

),

on_time_supply_rate as (

    select
        {{ metric_event("'on_time_supply_rate'", "'stg_erp__receipts'", 'receipt_id',
            'received_at', dbt.date_trunc('month', 'received_at'), employee_id='buyer_id',
            numerator='case when cast(received_at as date) <= due_date then 1 else 0 end', denominator='1') }}
    from receipt_lines

),

quality_pass_rate as (

    select
        {{ metric_event("'quality_pass_rate'", "'stg_erp__receipts'", 'receipt_id',
            'received_at', dbt.date_trunc('month', 'received_at'), employee_id='buyer_id',
            numerator='received_qty - coalesce(rejected_qty, 0)', denominator='received_qty') }}
    from receipt_lines

),

purchase_timeliness as (

    select
        {{ metric_event("'purchase_timeliness'", "'int_purchase_order_lines_converted'", 'po_id',
            'ordered_at', dbt.date_trunc('month', 'ordered_at'), employee_id='buyer_id',
            numerator='case when ordered_at <= ' ~ dbt.dateadd('day', var('purchase_timeliness_days'), 'ready_at')
                ~ ' then 1 else 0 end',
            denominator='1') }}
    from ordered_requests

),

cost_reduction_rate as (

    select
        {{ metric_event("'cost_reduction_rate'", "'int_purchase_order_lines_converted'",
            dbt.concat(['po_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'ordered_date', dbt.date_trunc('month', 'ordered_date'), employee_id='buyer_id',
            numerator='quantity * (previous_unit_cost_base - unit_cost_base)',
            denominator='quantity * previous_unit_cost_base') }}
    from priced_lines
    where previous_unit_cost_base is not null

),

purchase_rule_compliance as (

    select
        {{ metric_event("'purchase_rule_compliance'", "'stg_erp__purchase_requests'", 'request_id',
            'requested_at', dbt.date_trunc('month', 'requested_at'), employee_id='requester_id',
            numerator='is_sales_confirmed', denominator='1') }}
    from request_ready
    where days_of_cover > {{ var('sales_confirmation_cover_days') }}

),

final as (

    select * from on_time_supply_rate
    union all
    select * from quality_pass_rate
    union all
    select * from purchase_timeliness
    union all
    select * from cost_reduction_rate
    union all
    select * from purchase_rule_compliance

)

select * from final
