-- Every purchase request with the stock and cover at request time, the sales confirmation the rule requires
-- above var sales_confirmation_cover_days of cover, who approved, and whether the sku became slow-moving
-- (no sale in var slow_moving_days days) within that many days; rule violations with the people involved.
with

purchase_requests as (

    select
        request_id, sku, requester_id, quantity, stock_on_hand, sales_3m_qty, days_of_cover, requested_at
    from {{ ref('stg_erp__purchase_requests') }}

),

approvals as (

    select request_id, step, actor_id, decision, acted_at from {{ ref('stg_erp__purchase_request_approvals') }}

),

purchase_orders as (

    select po_id, request_id, buyer_id, ordered_at from {{ ref('stg_erp__purchase_orders') }}

),

purchase_order_lines as (

    select po_id, quantity from {{ ref('stg_erp__purchase_order_lines') }}

),

snapshots as (

    select snapshot_date, sku, on_hand_qty from {{ ref('stg_erp__inventory_snapshots') }}

),

order_lines as (

    select sku, shipped_date, quantity
    from {{ ref('int_sales_order_lines_converted') }}
    where is_shipped and quantity > 0

),

products as (

    select sku, owner_salesperson_id, buyer_id from {{ ref('stg_erp__products') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

requests as (

    select
        purchase_requests.*,
        cast(purchase_requests.requested_at as date) as requested_date
    from purchase_requests

),

steps as (

    select
        request_id,
        max(case when step = 'inventory_check' then actor_id end) as inventory_checked_by,
        max(case when step = 'inventory_check' then decision end) as inventory_check_decision,
        max(case when step = 'sales_confirmation' then actor_id end) as sales_confirmation_by,
        max(case when step = 'sales_confirmation' then decision end) as sales_confirmation_decision,
        max(case when step = 'approval' then actor_id end) as approved_by,
        max(case when step = 'approval' then decision end) as approval_decision,
        max(case when step = 'approval' then acted_at end) as approval_acted_at
    from approvals
    group by request_id

),

orders as (

    select
        purchase_orders.request_id,
        min(purchase_orders.po_id) as po_id,
        count(distinct purchase_orders.po_id) as purchase_order_count,
        min(purchase_orders.ordered_at) as ordered_at,
        sum(purchase_order_lines.quantity) as ordered_qty
    from purchase_orders
    left join purchase_order_lines
        on purchase_orders.po_id = purchase_order_lines.po_id
    group by purchase_orders.request_id

),

-- stock in the warehouse data: end of the last snapshot day before the request day (all warehouses)
stock_days as (

    select snapshot_date, sku, sum(on_hand_qty) as on_hand_qty
    from snapshots
    group by snapshot_date, sku

),

-- the last snapshot day (any sku) before the request day; a sku without a row that day has no stock
snapshot_dates as (

    select distinct snapshot_date from snapshots

),

request_stock_days as (

    select requests.request_id, max(snapshot_dates.snapshot_date) as snapshot_date
    from requests
    inner join snapshot_dates
        on snapshot_dates.snapshot_date < requests.requested_date
    group by requests.request_id

),

request_sales as (

    select requests.request_id, sum(order_lines.quantity) as sold_qty
    from requests
    inner join order_lines
        on requests.sku = order_lines.sku
        and order_lines.shipped_date < requests.requested_date
        and order_lines.shipped_date >= {{ dbt.dateadd('day', -90, 'requests.requested_date') }}
    group by requests.request_id

),

-- days with a sale per sku; the day before the data window stands for sales before it (unknown)
sale_days as (

    select distinct sku, shipped_date as sale_date from order_lines

    union

    select products.sku, cast({{ dbt.dateadd('day', -1, 'data_window.window_start') }} as date)
    from products
    cross join data_window

),

-- sale-free stretches: a sku is slow-moving on day d when its last sale is at least slow_moving_days before
sale_gaps as (

    select
        sku,
        sale_date as previous_sale_date,
        lead(sale_date) over (partition by sku order by sale_date) as next_sale_date
    from sale_days

),

slow_moving_outcomes as (

    select
        requests.request_id,
        -- the first such day: slow_moving_days after the last sale, at the earliest the request day
        min(
            case
                when {{ dbt.dateadd('day', var('slow_moving_days'), 'sale_gaps.previous_sale_date') }}
                    >= requests.requested_date
                    then cast({{ dbt.dateadd('day', var('slow_moving_days'), 'sale_gaps.previous_sale_date') }} as date)
                else requests.requested_date
            end
        ) as slow_moving_from
    from requests
    cross join data_window
    inner join sale_gaps
        on requests.sku = sale_gaps.sku
    -- first day d with d >= previous + slow_moving_days and d < next sale, within [request, request + days]
    where {{ dbt.dateadd('day', var('slow_moving_days'), 'sale_gaps.previous_sale_date') }}
            <= {{ dbt.dateadd('day', var('slow_moving_days'), 'requests.requested_date') }}
        and {{ dbt.dateadd('day', var('slow_moving_days'), 'sale_gaps.previous_sale_date') }}
            <= data_window.window_end
        and (
            sale_gaps.next_sale_date is null
            or sale_gaps.next_sale_date > requests.requested_date
        )
        and (
            sale_gaps.next_sale_date is null
            or {{ dbt.dateadd('day', var('slow_moving_days'), 'sale_gaps.previous_sale_date') }}
                < sale_gaps.next_sale_date
        )
    group by requests.request_id

),

joined as (

    select
        requests.request_id,
        requests.sku,
        requests.requester_id,
        requests.requested_at,
        requests.requested_date,
        requests.quantity,
        requests.stock_on_hand,
        requests.sales_3m_qty,
        requests.days_of_cover,
        case
            when request_stock_days.snapshot_date is not null then coalesce(stock_days.on_hand_qty, 0)
        end as warehouse_stock_qty,
        coalesce(request_sales.sold_qty, 0) as warehouse_sales_90d_qty,
        -- days of those 90 inside the data window (sales before it are unknown)
        least(90, {{ dbt.datediff('data_window.window_start', 'requests.requested_date', 'day') }}) as sales_days,
        products.owner_salesperson_id,
        steps.inventory_checked_by,
        steps.inventory_check_decision,
        steps.sales_confirmation_by,
        steps.sales_confirmation_decision,
        steps.approved_by,
        steps.approval_decision,
        orders.po_id,
        coalesce(orders.purchase_order_count, 0) as purchase_order_count,
        orders.ordered_at,
        orders.ordered_qty,
        slow_moving_outcomes.slow_moving_from,
        data_window.window_end,
        -- the rule: above the threshold of cover (or with stock and no sales: unbounded cover) sales must confirm
        case
            when requests.days_of_cover is not null
                then requests.days_of_cover > {{ var('sales_confirmation_cover_days') }}
            else coalesce(requests.stock_on_hand, 0) > 0
        end as is_confirmation_required
    from requests
    cross join data_window
    left join products
        on requests.sku = products.sku
    left join steps
        on requests.request_id = steps.request_id
    left join orders
        on requests.request_id = orders.request_id
    left join request_stock_days
        on requests.request_id = request_stock_days.request_id
    left join stock_days
        on requests.sku = stock_days.sku
        and request_stock_days.snapshot_date = stock_days.snapshot_date
    left join request_sales
        on requests.request_id = request_sales.request_id
    left join slow_moving_outcomes
        on requests.request_id = slow_moving_outcomes.request_id

),

flagged as (

    select
        joined.*,
        coalesce(sales_confirmation_decision = 'confirmed', false) as is_confirmation_given,
        coalesce(sales_confirmation_decision = 'confirmed', false)
            and sales_confirmation_by = requester_id as is_self_confirmed,
        coalesce(approval_decision = 'approved', false) as is_approved,
        case
            when not is_confirmation_required then 'not_required'
            when sales_confirmation_decision is null then 'missing'
            else sales_confirmation_decision
        end as confirmation_status
    from joined

),

final as (

    select
        -- keys
        request_id,
        -- ids
        sku,
        requester_id,
        approved_by,
        inventory_checked_by,
        sales_confirmation_by,
        owner_salesperson_id,
        po_id,
        -- strings
        confirmation_status,
        case
            when is_confirmation_required and not is_confirmation_given and (is_approved or purchase_order_count > 0)
                then 'purchased_without_sales_confirmation'
            when is_confirmation_required and is_self_confirmed and (is_approved or purchase_order_count > 0)
                then 'confirmed_by_the_requester'
            when not is_approved and purchase_order_count > 0 then 'ordered_without_approval'
        end as violation,
        -- numbers
        cast(quantity as {{ dbt.type_numeric() }}) as quantity,
        cast(stock_on_hand as {{ dbt.type_numeric() }}) as stock_on_hand,
        cast(sales_3m_qty as {{ dbt.type_numeric() }}) as sales_3m_qty,
        cast(days_of_cover as {{ dbt.type_numeric() }}) as days_of_cover,
        cast(warehouse_stock_qty as {{ dbt.type_numeric() }}) as warehouse_stock_qty,
        cast(warehouse_sales_90d_qty as {{ dbt.type_numeric() }}) as warehouse_sales_90d_qty,
        cast(
            case
                when warehouse_sales_90d_qty > 0 and sales_days > 0
                    then coalesce(warehouse_stock_qty, 0) * sales_days / warehouse_sales_90d_qty
            end
        as {{ dbt.type_numeric() }}) as warehouse_days_of_cover,
        cast(purchase_order_count as {{ dbt.type_bigint() }}) as purchase_order_count,
        cast(ordered_qty as {{ dbt.type_numeric() }}) as ordered_qty,
        -- flags
        is_confirmation_required,
        is_confirmation_given,
        is_approved,
        purchase_order_count > 0 as is_ordered,
        slow_moving_from is not null as became_slow_moving,
        {{ dbt.dateadd('day', var('slow_moving_days'), 'requested_date') }} <= window_end as is_outcome_complete,
        case
            when is_confirmation_required and not is_confirmation_given and (is_approved or purchase_order_count > 0)
                then true
            when is_confirmation_required and is_self_confirmed and (is_approved or purchase_order_count > 0)
                then true
            when not is_approved and purchase_order_count > 0 then true
            else false
        end as is_violation,
        -- dates
        requested_date,
        cast({{ dbt.date_trunc('month', 'requested_date') }} as date) as request_month,
        slow_moving_from,
        -- timestamps
        requested_at,
        ordered_at
    from flagged

)

select * from final
