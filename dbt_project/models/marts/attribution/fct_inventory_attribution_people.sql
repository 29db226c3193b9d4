-- Each department's Shapley share of a sku-month's excess pushed down to people through responsibility keys:
-- purchasing -> requesters and approvers of the purchases whose units make up the month-end stock (first in,
-- first out; the part older than every purchase in the data goes to the sku's buyer as opening_stock),
-- operations -> the planner of the forecast in force (else the sku's planner), sales -> the salespeople who
-- committed, by committed units (else the sku's owning salesperson).
with

attribution as (

    select
        sku, month, buyer_id, planner_id, owner_salesperson_id, ending_qty, purchasing_qty, operations_qty, sales_qty,
        purchasing_excess_qty, operations_excess_qty, sales_excess_qty,
        purchasing_excess_value_base, operations_excess_value_base, sales_excess_value_base
    from {{ ref('fct_inventory_attribution') }}

),

receipts as (

    select receipt_id, po_id, line_number, received_qty, rejected_qty, received_at from {{ ref('stg_erp__receipts') }}

),

purchase_order_lines as (

    select po_id, line_number, sku from {{ ref('stg_erp__purchase_order_lines') }}

),

purchase_orders as (

    select po_id, request_id from {{ ref('stg_erp__purchase_orders') }}

),

purchase_requests as (

    select request_id, requester_id from {{ ref('stg_erp__purchase_requests') }}

),

approvals as (

    select request_id, actor_id, decision from {{ ref('stg_erp__purchase_request_approvals') }}

),

sales_commitments as (

    select sku, month_start, salesperson_id, committed_qty from {{ ref('stg_erp__sales_commitments') }}

),

-- net units received per receipt, with the purchase request behind it
received as (

    select
        receipts.receipt_id,
        purchase_order_lines.sku,
        receipts.received_at,
        purchase_orders.request_id,
        cast(receipts.received_qty - coalesce(receipts.rejected_qty, 0) as {{ attribution_numeric() }}) as received_qty
    from receipts
    inner join purchase_order_lines
        on receipts.po_id = purchase_order_lines.po_id
        and receipts.line_number = purchase_order_lines.line_number
    inner join purchase_orders
        on receipts.po_id = purchase_orders.po_id
    where purchase_orders.request_id is not null
        and receipts.received_qty - coalesce(receipts.rejected_qty, 0) > 0

),

-- first in, first out: the month-end stock is made of the newest receipts up to the end of the month
receipt_layers as (

    select
        attribution.sku,
        attribution.month,
        attribution.ending_qty,
        received.request_id,
        received.received_qty,
        coalesce(
            sum(received.received_qty) over (
                partition by attribution.sku, attribution.month
                order by received.received_at desc, received.receipt_id desc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as newer_qty
    from attribution
    inner join received
        on attribution.sku = received.sku
        and received.received_at < {{ dbt.dateadd('month', 1, 'attribution.month') }}
    where attribution.ending_qty > 0

),

layers as (

    select
        sku,
        month,
        ending_qty,
        request_id,
        greatest(least(received_qty, ending_qty - newer_qty), 0) as in_stock_qty
    from receipt_layers

),

request_weights as (

    select sku, month, request_id, {{ divide('sum(in_stock_qty)', 'max(ending_qty)') }} as request_weight
    from layers
    group by sku, month, request_id
    having sum(in_stock_qty) > 0

),

-- the stock older than every purchase received in the data window
opening_stock_weights as (

    select
        attribution.sku,
        attribution.month,
        attribution.buyer_id as employee_id,
        'opening_stock' as responsibility_role,
        1 - {{ divide('coalesce(sum(layers.in_stock_qty), 0)', 'attribution.ending_qty') }} as weight
    from attribution
    left join layers
        on attribution.sku = layers.sku
        and attribution.month = layers.month
    where attribution.ending_qty > 0
    group by attribution.sku, attribution.month, attribution.buyer_id, attribution.ending_qty
    having coalesce(sum(layers.in_stock_qty), 0) < attribution.ending_qty

),

-- approvers: distinct people who approved or confirmed a step (a skipped or rejected step approves nothing)
request_approvers as (

    select distinct request_id, actor_id
    from approvals
    where decision in ('approved', 'confirmed') and actor_id is not null

),

approver_counts as (

    select request_id, count(*) as approver_count
    from request_approvers
    group by request_id

),

-- within a request: the requester takes 1 - var attribution_approver_share, the approvers the rest equally
request_people as (

    select
        request_weights.sku,
        request_weights.month,
        purchase_requests.requester_id as employee_id,
        'requester' as responsibility_role,
        cast(request_weights.request_weight * case
            when approver_counts.approver_count > 0 then 1 - {{ var('attribution_approver_share') }}
            else 1
        end as {{ type_precise_numeric() }}) as weight
    from request_weights
    inner join purchase_requests
        on request_weights.request_id = purchase_requests.request_id
    left join approver_counts
        on request_weights.request_id = approver_counts.request_id

    union all

    select
        request_weights.sku,
        request_weights.month,
        request_approvers.actor_id as employee_id,
        'approver' as responsibility_role,
        {{ divide("request_weights.request_weight * " ~ var('attribution_approver_share'), 'approver_counts.approver_count') }}
            as weight
    from request_weights
    inner join request_approvers
        on request_weights.request_id = request_approvers.request_id
    inner join approver_counts
        on request_weights.request_id = approver_counts.request_id

),

purchasing_people as (

    select sku, month, employee_id, responsibility_role, sum(weight) as weight
    from request_people
    group by sku, month, employee_id, responsibility_role

    union all

    select sku, month, employee_id, responsibility_role, weight
    from opening_stock_weights

),

commitment_totals as (

    select sku, month_start, sum(committed_qty) as committed_qty
    from sales_commitments
    group by sku, month_start

),

sales_people as (

    select
        sales_commitments.sku,
        sales_commitments.month_start as month,
        sales_commitments.salesperson_id as employee_id,
        'committing_salesperson' as responsibility_role,
        {{ divide('sum(cast(sales_commitments.committed_qty as ' ~ attribution_numeric() ~ '))',
            'max(commitment_totals.committed_qty)') }} as weight
    from sales_commitments
    inner join commitment_totals
        on sales_commitments.sku = commitment_totals.sku
        and sales_commitments.month_start = commitment_totals.month_start
    where commitment_totals.committed_qty > 0
    group by sales_commitments.sku, sales_commitments.month_start, sales_commitments.salesperson_id

),

allocated as (

    -- purchasing
    select
        attribution.sku,
        attribution.month,
        'purchasing' as department,
        coalesce(purchasing_people.employee_id, attribution.buyer_id) as employee_id,
        coalesce(purchasing_people.responsibility_role, 'buyer') as responsibility_role,
        coalesce(purchasing_people.weight, 1) as weight,
        attribution.purchasing_qty as component_qty,
        attribution.purchasing_excess_qty as excess_qty,
        attribution.purchasing_excess_value_base as excess_value_base
    from attribution
    left join purchasing_people
        on attribution.sku = purchasing_people.sku
        and attribution.month = purchasing_people.month

    union all

    -- operations
    select
        sku, month, 'operations', planner_id, 'planner', 1, operations_qty, operations_excess_qty,
        operations_excess_value_base
    from attribution

    union all

    -- sales
    select
        attribution.sku,
        attribution.month,
        'sales',
        coalesce(sales_people.employee_id, attribution.owner_salesperson_id),
        coalesce(sales_people.responsibility_role, 'owning_salesperson'),
        coalesce(sales_people.weight, 1),
        attribution.sales_qty,
        attribution.sales_excess_qty,
        attribution.sales_excess_value_base
    from attribution
    left join sales_people
        on attribution.sku = sales_people.sku
        and attribution.month = sales_people.month

),

weighted as (

    select
        allocated.*,
        cast(component_qty * weight as {{ attribution_numeric() }}) as raw_component_qty,
        cast(excess_qty * weight as {{ attribution_numeric() }}) as raw_excess_qty,
        cast(excess_value_base * weight as {{ attribution_numeric() }}) as raw_excess_value_base,
        row_number() over (
            partition by sku, month, department order by weight desc, employee_id, responsibility_role
        ) as allocation_rank
    from allocated

),

-- the largest holder takes the rounding remainder, so people sum exactly to their department's share
final as (

    select
        -- keys
        sku,
        month,
        department,
        -- a sku without a responsible person of that kind (no buyer, planner or owner on record, as in
        -- Northwind) keeps its share, under 'unassigned', so people still sum to the department's share
        coalesce(employee_id, 'unassigned') as employee_id,
        case when employee_id is null then 'unassigned' else responsibility_role end as responsibility_role,
        -- numbers
        cast(weight as {{ attribution_numeric() }}) as weight,
        cast(
            raw_component_qty + case
                when allocation_rank = 1
                    then component_qty - sum(raw_component_qty) over (partition by sku, month, department)
                else 0
            end
        as {{ attribution_numeric() }}) as component_qty,
        cast(
            raw_excess_qty + case
                when allocation_rank = 1 then excess_qty - sum(raw_excess_qty) over (partition by sku, month, department)
                else 0
            end
        as {{ attribution_numeric() }}) as attributed_excess_qty,
        cast(
            raw_excess_value_base + case
                when allocation_rank = 1
                    then excess_value_base - sum(raw_excess_value_base) over (partition by sku, month, department)
                else 0
            end
        as {{ attribution_numeric() }}) as attributed_excess_value_base
    from weighted

)

select * from final
