with

order_lines as (

    select * from {{ ref('int_sales_order_lines_converted') }}

),

complaints as (

    select complaint_id, order_id, responsible_department_id, received_at
    from {{ ref('stg_crm__complaints') }}

),

slow_moving_lists as (

    select distinct sku, month_start from {{ ref('stg_erp__slow_moving_lists') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

shipped_lines as (

    select
        order_lines.*,
        case when slow_moving_lists.sku is not null then 1 else 0 end as is_slow_moving
    from order_lines
    left join slow_moving_lists
        on order_lines.sku = slow_moving_lists.sku
        and order_lines.revenue_month = slow_moving_lists.month_start
    where order_lines.is_shipped

),

shipped_orders as (

    select
        order_id,
        salesperson_id,
        customer_id,
        region,
        shipped_date,
        revenue_month,
        sum(gross_margin_base) as gross_margin_base,
        count(*) as line_count
    from shipped_lines
    group by order_id, salesperson_id, customer_id, region, shipped_date, revenue_month

),

-- one row per salesperson, customer and month with a shipment; returning = shipped to before that month
customer_months as (

    select
        salesperson_id,
        customer_id,
        revenue_month,
        min(shipped_date) as first_shipped_date,
        count(*) as order_count
    from shipped_orders
    group by salesperson_id, customer_id, revenue_month

),

customer_first_months as (

    select customer_id, min(revenue_month) as first_month
    from shipped_orders
    group by customer_id

),

-- a region is judged only from 12 months after the first month of data (earlier, every region looks new)
judged_months as (

    select distinct
        shipped_orders.revenue_month as month
    from shipped_orders
    cross join data_window
    where shipped_orders.revenue_month >= {{ dbt.dateadd('month', 12, dbt.date_trunc('month', 'data_window.window_start')) }}

),

region_first_orders as (

    select
        region,
        order_id,
        salesperson_id,
        shipped_date,
        revenue_month,
        row_number() over (partition by region order by shipped_date, order_id) as order_rank
    from shipped_orders

),

confirmed_orders as (

    select distinct order_id, ordered_at, confirmed_at
    from order_lines
    where confirmed_at is not null

),

complaint_orders as (

    select
        complaints.complaint_id,
        complaints.responsible_department_id,
        complaints.received_at,
        shipped_orders.salesperson_id
    from complaints
    left join shipped_orders
        on complaints.order_id = shipped_orders.order_id

),

revenue as (

    select
        {{ metric_event("'revenue'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='net_revenue_base') }}
    from shipped_lines

),

gross_margin_rate as (

    select
        {{ metric_event("'gross_margin_rate'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='gross_margin_base', denominator='net_revenue_base') }}
    from shipped_lines

),

margin_per_shipment as (

    select
        {{ metric_event("'margin_per_shipment'", "'int_sales_order_lines_converted'", 'order_id',
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='gross_margin_base', denominator='1', source_rows='line_count') }}
    from shipped_orders

),

sales_growth_current as (

    select
        {{ metric_event("'sales_growth_rate'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='net_revenue_base', prior_numerator='0') }}
    from shipped_lines

),

-- last year's revenue counts as the prior-year component 12 months later (within the data window)
sales_growth_prior as (

    select
        {{ metric_event("'sales_growth_rate'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')', "'|prior'"]),
            'shipped_date', dbt.dateadd('month', 12, 'revenue_month'), employee_id='salesperson_id',
            numerator='0', prior_numerator='net_revenue_base') }}
    from shipped_lines
    cross join data_window
    where {{ dbt.dateadd('month', 12, 'revenue_month') }} <= data_window.window_end

),

online_sales_share as (

    select
        {{ metric_event("'online_sales_share'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator="case when channel = 'online' then net_revenue_base else 0 end",
            denominator='net_revenue_base') }}
    from shipped_lines

),

slow_moving_sales_share as (

    select
        {{ metric_event("'slow_moving_sales_share'", "'int_sales_order_lines_converted'",
            dbt.concat(['order_id', "'|'", 'cast(line_number as ' ~ dbt.type_string() ~ ')']),
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='case when is_slow_moving = 1 then net_revenue_base else 0 end',
            denominator='net_revenue_base') }}
    from shipped_lines

),

repurchase_rate as (

    select
        {{ metric_event("'repurchase_rate'", "'int_sales_order_lines_converted'",
            dbt.concat(['customer_months.customer_id', "'|'", 'customer_months.salesperson_id']),
            'customer_months.first_shipped_date', 'customer_months.revenue_month',
            employee_id='customer_months.salesperson_id',
            numerator='case when customer_first_months.first_month < customer_months.revenue_month then 1 else 0 end',
            denominator='1', source_rows='customer_months.order_count') }}
    from customer_months
    inner join customer_first_months
        on customer_months.customer_id = customer_first_months.customer_id

),

new_regions_opened as (

    select
        {{ metric_event("'new_regions_opened'", "'int_sales_order_lines_converted'", 'region_first_orders.region',
            'region_first_orders.shipped_date', 'region_first_orders.revenue_month',
            employee_id='region_first_orders.salesperson_id', numerator='1') }}
    from region_first_orders
    inner join judged_months
        on region_first_orders.revenue_month = judged_months.month
    where region_first_orders.order_rank = 1

),

-- a measured month with no new region is a 0, not missing data
new_regions_judged as (

    select
        {{ metric_event("'new_regions_opened'", "'int_data_window'", "'judged month'",
            'month', 'month', numerator='0', source_rows='0') }}
    from judged_months

),

complaint_rate_complaints as (

    select
        {{ metric_event("'complaint_rate'", "'stg_crm__complaints'", 'complaint_id',
            'received_at', dbt.date_trunc('month', 'received_at'), employee_id='salesperson_id',
            department_id='responsible_department_id', numerator='1', denominator='0') }}
    from complaint_orders

),

complaint_rate_orders as (

    select
        {{ metric_event("'complaint_rate'", "'int_sales_order_lines_converted'", 'order_id',
            'shipped_date', 'revenue_month', employee_id='salesperson_id',
            numerator='0', denominator='1', source_rows='line_count') }}
    from shipped_orders

),

order_processing_hours as (

    select
        {{ metric_event("'order_processing_hours'", "'int_sales_order_lines_converted'", 'order_id',
            'confirmed_at', dbt.date_trunc('month', 'confirmed_at'),
            numerator=minutes_between('ordered_at', 'confirmed_at') ~ ' / 60.0', denominator='1') }}
    from confirmed_orders

),

final as (

    select * from revenue
    union all
    select * from gross_margin_rate
    union all
    select * from margin_per_shipment
    union all
    select * from sales_growth_current
    union all
    select * from sales_growth_prior
    union all
    select * from online_sales_share
    union all
    select * from slow_moving_sales_share
    union all
    select * from repurchase_rate
    union all
    select * from new_regions_opened
    union all
    select * from new_regions_judged
    union all
    select * from complaint_rate_complaints
    union all
    select * from complaint_rate_orders
    union all
    select * from order_processing_hours

)

select * from final
