{#
    Every deduction rule of the scorecard checked for every person it applies to, per month and quarter:
    the rule's metric for the rule's subject over the period (from summed components), and whether it is
    breached (value below / above the threshold; no value = not breached). months_running counts the months
    in breach in a row up to the month (month rows only), for the promotion rule.
#}
with

rules as (

    select * from {{ ref('stg_config__incentive_rules') }}
    where rule_type = 'deduction'

),

segments as (

    select * from {{ ref('int_score_segments') }}
    where is_latest and period_type in ('month', 'quarter')

),

segment_months as (

    select * from {{ ref('int_score_segment_months') }}

),

period_months as (

    select * from {{ ref('int_score_period_months') }}

),

metric_values as (

    select * from {{ ref('fct_metric_values') }}

),

definitions as (

    select metric, value_formula from {{ ref('int_metric_definitions') }}

),

-- the last month of each segment
segments_last as (

    select employee_id, period_type, period_start, segment_id, max(month) as last_month
    from segment_months
    group by employee_id, period_type, period_start, segment_id

),

-- the subjects a person answers for at the end of their time in the period (latest segment, its last month)
latest_subjects as (

    select
        segments.employee_id,
        segments.period_type,
        segments.period,
        segments.period_start,
        segments.period_end,
        segments.scorecard,
        segments.scorecard_version,
        segments.role,
        max(segment_months.department_id) as department_id,
        max(case when segment_months.month = segments_last.last_month then segment_months.team_lead_id end)
            as team_lead_id
    from segments
    inner join segment_months
        on segments.employee_id = segment_months.employee_id
        and segments.period_type = segment_months.period_type
        and segments.period_start = segment_months.period_start
        and segments.segment_id = segment_months.segment_id
    inner join segments_last
        on segments.employee_id = segments_last.employee_id
        and segments.period_type = segments_last.period_type
        and segments.period_start = segments_last.period_start
        and segments.segment_id = segments_last.segment_id
    group by
        segments.employee_id, segments.period_type, segments.period, segments.period_start, segments.period_end,
        segments.scorecard, segments.scorecard_version, segments.role

),

applicable as (

    select
        latest_subjects.*,
        rules.rule_id,
        rules.kpi,
        rules.subject as subject_type,
        case rules.subject
            when 'person' then latest_subjects.employee_id
            when 'team' then latest_subjects.team_lead_id
            when 'department' then latest_subjects.department_id
            else 'company'
        end as subject_id,
        rules.comparison,
        rules.threshold,
        rules.deduct_pct,
        rules.promotion_block_months
    from latest_subjects
    inner join rules
        on latest_subjects.scorecard = rules.scorecard
        and latest_subjects.scorecard_version = rules.version
        and latest_subjects.role = rules.role

),

summed as (

    select
        applicable.employee_id,
        applicable.period_type,
        applicable.period_start,
        applicable.rule_id,
        sum(metric_values.numerator) as numerator,
        sum(metric_values.denominator) as denominator,
        sum(metric_values.prior_numerator) as prior_numerator,
        sum(metric_values.prior_denominator) as prior_denominator,
        sum(metric_values.source_row_count) as source_row_count
    from applicable
    inner join period_months
        on applicable.period_type = period_months.period_type
        and applicable.period_start = period_months.period_start
    inner join metric_values
        on applicable.kpi = metric_values.metric
        and applicable.subject_type = metric_values.subject_type
        and applicable.subject_id = metric_values.subject_id
        and period_months.month = metric_values.month
    group by applicable.employee_id, applicable.period_type, applicable.period_start, applicable.rule_id

),

checked as (

    select
        applicable.*,
        {{ metric_value('definitions.value_formula', 'summed.numerator', 'summed.denominator',
            'summed.prior_numerator', 'summed.prior_denominator') }} as metric_value,
        coalesce(summed.source_row_count, 0) as source_row_count
    from applicable
    inner join definitions
        on applicable.kpi = definitions.metric
    left join summed
        on applicable.employee_id = summed.employee_id
        and applicable.period_type = summed.period_type
        and applicable.period_start = summed.period_start
        and applicable.rule_id = summed.rule_id

),

breaches as (

    select
        checked.*,
        case
            when metric_value is null then false
            when comparison = 'below' and metric_value < threshold then true
            when comparison = 'above' and metric_value > threshold then true
            else false
        end as is_breached
    from checked

),

-- months in breach in a row up to each month (the rule's own history, month rows): a streak starts after each
-- month not in breach; window functions, not a correlated subquery in a join condition (Spark cannot plan that)
streaks as (

    select
        employee_id,
        period_start,
        rule_id,
        is_breached,
        sum(case when is_breached then 0 else 1 end) over (
            partition by employee_id, rule_id
            order by period_start
            rows between unbounded preceding and current row
        ) as streak_number
    from breaches
    where period_type = 'month'

),

running as (

    select
        employee_id,
        period_start,
        rule_id,
        months_running
    from (
        select
            employee_id,
            period_start,
            rule_id,
            is_breached,
            sum(case when is_breached then 1 else 0 end) over (
                partition by employee_id, rule_id, streak_number
                order by period_start
                rows between unbounded preceding and current row
            ) as months_running
        from streaks
    ) as counted
    where is_breached

),

final as (

    select
        -- keys
        cast(breaches.employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(breaches.period_type as {{ dbt.type_string() }}) as period_type,
        cast(breaches.period_start as date) as period_start,
        cast(breaches.rule_id as {{ dbt.type_string() }}) as rule_id,
        -- ids
        cast(breaches.subject_id as {{ dbt.type_string() }}) as subject_id,
        -- strings
        cast(breaches.period as {{ dbt.type_string() }}) as period,
        cast(breaches.scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(breaches.role as {{ dbt.type_string() }}) as role,
        cast(breaches.kpi as {{ dbt.type_string() }}) as kpi,
        cast(breaches.subject_type as {{ dbt.type_string() }}) as subject_type,
        cast(breaches.comparison as {{ dbt.type_string() }}) as comparison,
        -- numbers
        cast(breaches.threshold as {{ dbt.type_numeric() }}) as threshold,
        cast(breaches.metric_value as {{ dbt.type_numeric() }}) as metric_value,
        cast(breaches.deduct_pct as {{ dbt.type_numeric() }}) as deduct_pct,
        cast(breaches.promotion_block_months as {{ dbt.type_int() }}) as promotion_block_months,
        cast(coalesce(running.months_running, 0) as {{ dbt.type_bigint() }}) as months_running,
        cast(breaches.source_row_count as {{ dbt.type_bigint() }}) as source_row_count,
        -- booleans
        breaches.is_breached,
        -- dates
        cast(breaches.period_end as date) as period_end
    from breaches
    left join running
        on breaches.employee_id = running.employee_id
        and breaches.period_start = running.period_start
        and breaches.rule_id = running.rule_id
        and breaches.period_type = 'month'

)

select * from final
