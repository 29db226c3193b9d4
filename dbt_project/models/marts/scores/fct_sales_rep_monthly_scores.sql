with

role_days as (

    select employee_id, month
    from {{ ref('int_employee_role_days') }}
    where role = 'sales_rep'

),

shipped_lines as (

    select salesperson_id, order_id, revenue_month, net_revenue_base
    from {{ ref('int_sales_order_lines_converted') }}
    where is_shipped

),

revenue_targets as (

    select employee_id, month_start, target_value
    from {{ ref('stg_hr__individual_targets') }}
    where kpi = 'revenue'
        and scope = 'individual'

),

rep_months as (

    select
        employee_id,
        month,
        count(*) as days_as_sales_rep
    from role_days
    group by employee_id, month

),

rep_revenue as (

    select
        salesperson_id as employee_id,
        revenue_month as month,
        sum(net_revenue_base) as revenue_base,
        count(distinct order_id) as order_count,
        count(*) as line_count
    from shipped_lines
    group by salesperson_id, revenue_month

),

joined as (

    select
        rep_months.employee_id,
        rep_months.month,
        rep_months.days_as_sales_rep,
        coalesce(rep_revenue.revenue_base, 0) as revenue_base,
        revenue_targets.target_value as quota_base,
        coalesce(rep_revenue.order_count, 0) as order_count,
        coalesce(rep_revenue.line_count, 0) as line_count
    from rep_months
    left join rep_revenue
        on rep_months.employee_id = rep_revenue.employee_id
        and rep_months.month = rep_revenue.month
    left join revenue_targets
        on rep_months.employee_id = revenue_targets.employee_id
        and rep_months.month = revenue_targets.month_start

),

attainment as (

    select
        joined.*,
        case
            when quota_base is null or quota_base = 0 then null
            else {{ divide('revenue_base', 'quota_base') }}
        end as quota_attainment
    from joined

),

final as (

    select
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(month as date) as month,
        cast(days_as_sales_rep as {{ dbt.type_bigint() }}) as days_as_sales_rep,
        cast(revenue_base as {{ dbt.type_numeric() }}) as revenue_base,
        cast(quota_base as {{ dbt.type_numeric() }}) as quota_base,
        cast(quota_attainment as {{ dbt.type_numeric() }}) as quota_attainment,
        cast(
            case
                when quota_attainment is null then null
                else 100 * least(greatest(quota_attainment, 0), {{ var('score_cap') }})
            end
        as {{ dbt.type_numeric() }}) as score,
        cast(order_count as {{ dbt.type_bigint() }}) as order_count,
        cast(line_count as {{ dbt.type_bigint() }}) as line_count
    from attainment

)

select * from final
