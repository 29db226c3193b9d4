{#
    Team bonus per person and period: a team (its lead and the people who reported to the lead in the period)
    whose result on the team-bonus KPI reaches the threshold of its team target earns each eligible member the
    configured points. Team result and target are summed over the period's months that have a team target
    (hr individual_targets, scope team, on the lead); attainment = result / target. A person in several
    teams in a period gets the best team's points once.
#}
with

rules as (

    select scorecard, version, role, kpi, threshold, bonus_points
    from {{ ref('stg_config__incentive_rules') }}
    where rule_type = 'team_bonus'

),

definitions as (

    select metric, value_formula from {{ ref('int_metric_definitions') }}

),

period_months as (

    select * from {{ ref('int_score_period_months') }}

),

segments as (

    select * from {{ ref('int_score_segments') }}

),

metric_values as (

    select metric, subject_id, month, numerator, denominator, prior_numerator, prior_denominator
    from {{ ref('fct_metric_values') }}
    where subject_type = 'team'

),

targets as (

    select employee_id, kpi, month_start, target_value
    from {{ ref('stg_hr__individual_targets') }}
    where scope = 'team'

),

role_days as (

    select employee_id, month, manager_id from {{ ref('int_employee_role_days') }}

),

bonus_kpis as (

    select distinct kpi from rules

),

team_months as (

    select
        targets.employee_id as team_lead_id,
        targets.kpi,
        targets.month_start as month,
        targets.target_value,
        metric_values.numerator,
        metric_values.denominator,
        metric_values.prior_numerator,
        metric_values.prior_denominator
    from targets
    inner join bonus_kpis
        on targets.kpi = bonus_kpis.kpi
    left join metric_values
        on targets.employee_id = metric_values.subject_id
        and targets.kpi = metric_values.metric
        and targets.month_start = metric_values.month

),

team_periods as (

    select
        team_months.team_lead_id,
        team_months.kpi,
        period_months.period_type,
        period_months.period_start,
        sum(team_months.target_value) as team_target,
        sum(coalesce(team_months.numerator, 0)) as numerator,
        sum(team_months.denominator) as denominator,
        sum(team_months.prior_numerator) as prior_numerator,
        sum(team_months.prior_denominator) as prior_denominator
    from team_months
    inner join period_months
        on team_months.month = period_months.month
    group by team_months.team_lead_id, team_months.kpi, period_months.period_type, period_months.period_start

),

team_attainment as (

    select
        team_periods.*,
        {{ metric_value('definitions.value_formula', 'team_periods.numerator', 'team_periods.denominator',
            'team_periods.prior_numerator', 'team_periods.prior_denominator') }} as team_result
    from team_periods
    inner join definitions
        on team_periods.kpi = definitions.metric

),

memberships as (

    select distinct
        role_days.employee_id,
        period_months.period_type,
        period_months.period_start,
        role_days.manager_id as team_lead_id
    from role_days
    inner join period_months
        on role_days.month = period_months.month
    where role_days.manager_id is not null

    union

    select distinct
        role_days.manager_id as employee_id,
        period_months.period_type,
        period_months.period_start,
        role_days.manager_id as team_lead_id
    from role_days
    inner join period_months
        on role_days.month = period_months.month
    where role_days.manager_id is not null

),

-- the rule that applies to a person: their latest segment's scorecard version and role
eligible as (

    select
        memberships.*,
        rules.kpi,
        rules.threshold,
        rules.bonus_points
    from memberships
    inner join segments
        on memberships.employee_id = segments.employee_id
        and memberships.period_type = segments.period_type
        and memberships.period_start = segments.period_start
        and segments.is_latest
    inner join rules
        on segments.scorecard = rules.scorecard
        and segments.scorecard_version = rules.version
        and segments.role = rules.role

),

earned as (

    select
        eligible.employee_id,
        eligible.period_type,
        eligible.period_start,
        eligible.team_lead_id,
        eligible.kpi,
        team_attainment.team_result,
        team_attainment.team_target,
        case
            when team_attainment.team_target > 0 then
                {{ divide('team_attainment.team_result', 'team_attainment.team_target') }}
        end as team_attainment,
        eligible.threshold,
        eligible.bonus_points
    from eligible
    inner join team_attainment
        on eligible.team_lead_id = team_attainment.team_lead_id
        and eligible.kpi = team_attainment.kpi
        and eligible.period_type = team_attainment.period_type
        and eligible.period_start = team_attainment.period_start

),

ranked as (

    select
        earned.*,
        case when team_attainment >= threshold then bonus_points else 0 end as points,
        row_number() over (
            partition by employee_id, period_type, period_start
            order by case when team_attainment >= threshold then bonus_points else 0 end desc,
                team_attainment desc, team_lead_id
        ) as team_rank
    from earned
    where team_attainment is not null

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        -- ids
        cast(team_lead_id as {{ dbt.type_string() }}) as team_lead_id,
        -- strings
        cast(kpi as {{ dbt.type_string() }}) as team_kpi,
        -- numbers
        cast(team_result as {{ dbt.type_numeric() }}) as team_result,
        cast(team_target as {{ dbt.type_numeric() }}) as team_target,
        cast(team_attainment as {{ dbt.type_numeric() }}) as team_attainment,
        cast(threshold as {{ dbt.type_numeric() }}) as threshold,
        cast(points as {{ dbt.type_numeric() }}) as team_bonus_points
    from ranked
    where team_rank = 1

)

select * from final
