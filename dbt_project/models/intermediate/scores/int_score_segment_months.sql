{#
    One row per assignment segment, period and month: the days a person spent in one assignment under one
    scorecard version and tenure band, cut by period (month, quarter, year) and by month within the period.
#}
with

scorecard_days as (

    select * from {{ ref('int_scorecard_days') }}

),

period_months as (

    select * from {{ ref('int_score_period_months') }}

),

-- people who lead a team in a month (someone reported to them on a day of it)
team_leads as (

    select distinct manager_id as employee_id, month
    from {{ ref('int_employee_role_days') }}
    where manager_id is not null

),

segment_days as (

    select
        scorecard_days.employee_id,
        period_months.period_type,
        period_months.period,
        period_months.period_start,
        period_months.period_end,
        scorecard_days.month,
        {{ dbt.concat(['scorecard_days.assignment_id', "'|'", 'scorecard_days.scorecard_version', "'|'",
            'scorecard_days.tenure_band']) }} as segment_id,
        scorecard_days.assignment_id,
        scorecard_days.department_id,
        scorecard_days.manager_id,
        scorecard_days.role,
        scorecard_days.region,
        scorecard_days.scorecard,
        scorecard_days.scorecard_version,
        scorecard_days.tenure_band,
        scorecard_days.variant_region,
        scorecard_days.day
    from scorecard_days
    inner join period_months
        on scorecard_days.month = period_months.month

),

grouped as (

    select
        employee_id,
        period_type,
        period,
        period_start,
        period_end,
        segment_id,
        month,
        assignment_id,
        scorecard,
        scorecard_version,
        tenure_band,
        role,
        region,
        variant_region,
        -- assignment attributes: constant within an assignment
        max(department_id) as department_id,
        max(manager_id) as manager_id,
        count(*) as days_in_month,
        min(day) as first_day,
        max(day) as last_day
    from segment_days
    group by
        employee_id, period_type, period, period_start, period_end, segment_id, month, assignment_id, scorecard,
        scorecard_version, tenure_band, role, region, variant_region

),

final as (

    select
        -- keys
        cast(grouped.employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(grouped.period_type as {{ dbt.type_string() }}) as period_type,
        cast(grouped.period_start as date) as period_start,
        cast(grouped.segment_id as {{ dbt.type_string() }}) as segment_id,
        cast(grouped.month as date) as month,
        -- ids
        cast(grouped.assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(grouped.department_id as {{ dbt.type_string() }}) as department_id,
        cast(grouped.manager_id as {{ dbt.type_string() }}) as manager_id,
        -- the team whose team KPIs the person carries: their own if they lead one that month, else their manager's
        cast(case when team_leads.employee_id is not null then grouped.employee_id else grouped.manager_id end
            as {{ dbt.type_string() }}) as team_lead_id,
        -- strings
        cast(grouped.period as {{ dbt.type_string() }}) as period,
        cast(grouped.scorecard as {{ dbt.type_string() }}) as scorecard,
        cast(grouped.scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(grouped.tenure_band as {{ dbt.type_string() }}) as tenure_band,
        cast(grouped.role as {{ dbt.type_string() }}) as role,
        cast(grouped.region as {{ dbt.type_string() }}) as region,
        cast(grouped.variant_region as {{ dbt.type_string() }}) as variant_region,
        -- numbers
        cast(grouped.days_in_month as {{ dbt.type_bigint() }}) as days_in_month,
        -- dates
        cast(grouped.period_end as date) as period_end,
        cast(grouped.first_day as date) as first_day,
        cast(grouped.last_day as date) as last_day
    from grouped
    left join team_leads
        on grouped.employee_id = team_leads.employee_id
        and grouped.month = team_leads.month

)

select * from final
