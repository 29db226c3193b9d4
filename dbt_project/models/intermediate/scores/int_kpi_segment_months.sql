{#
    One row per assignment segment, period, KPI of the segment's scorecard variant and month: whose metric
    value scores (subject), that value's components for the month and the month's target.
#}
with

segment_months as (

    select * from {{ ref('int_score_segment_months') }}

),

kpis as (

    select * from {{ ref('stg_config__scorecard_kpis') }}

),

definitions as (

    select metric, value_formula, missing_means, unit from {{ ref('int_metric_definitions') }}

),

metric_values as (

    select
        metric, subject_type, subject_id, month, numerator, denominator, prior_numerator, prior_denominator,
        source_row_count, event_count
    from {{ ref('fct_metric_values') }}

),

targets as (

    select employee_id, kpi, month_start, scope, target_value from {{ ref('stg_hr__individual_targets') }}

),

kpi_months as (

    select
        segment_months.*,
        kpis.kpi,
        kpis.subject as subject_type,
        case kpis.subject
            when 'person' then segment_months.employee_id
            when 'team' then segment_months.team_lead_id
            when 'department' then segment_months.department_id
            else 'company'
        end as subject_id,
        kpis.kpi_label,
        kpis.weight,
        kpis.target_source,
        kpis.target_value as configured_target,
        kpis.target_plan_kpi,
        -- the plan target's join keys, as columns: an equi-join stays a hash join (with the conditions written
        -- in the ON clause, DuckDB fell back to a nested-loop join that took most of the model's time)
        case when kpis.target_source = 'plan' then kpis.target_plan_kpi end as plan_target_kpi,
        case kpis.subject when 'team' then 'team' else 'individual' end as plan_target_scope,
        kpis.direction,
        kpis.curve,
        kpis.curve_floor,
        kpis.curve_cap,
        kpis.bsc_perspective
    from segment_months
    inner join kpis
        on segment_months.scorecard = kpis.scorecard
        and segment_months.scorecard_version = kpis.version
        and segment_months.role = kpis.role
        and segment_months.tenure_band = kpis.tenure_band
        -- region null = the role's default KPIs (an equi-join, so it stays a hash join)
        and coalesce(segment_months.variant_region, '*') = coalesce(kpis.region, '*')

),

final as (

    select
        -- keys
        kpi_months.employee_id,
        kpi_months.period_type,
        kpi_months.period_start,
        kpi_months.segment_id,
        cast(kpi_months.kpi as {{ dbt.type_string() }}) as kpi,
        cast(kpi_months.subject_type as {{ dbt.type_string() }}) as subject_type,
        kpi_months.month,
        -- ids
        kpi_months.assignment_id,
        cast(kpi_months.subject_id as {{ dbt.type_string() }}) as subject_id,
        -- strings
        kpi_months.period,
        kpi_months.scorecard,
        kpi_months.scorecard_version,
        kpi_months.tenure_band,
        kpi_months.role,
        kpi_months.region,
        kpi_months.variant_region,
        cast(kpi_months.kpi_label as {{ dbt.type_string() }}) as kpi_label,
        cast(kpi_months.target_source as {{ dbt.type_string() }}) as target_source,
        cast(kpi_months.direction as {{ dbt.type_string() }}) as direction,
        cast(kpi_months.curve as {{ dbt.type_string() }}) as curve,
        cast(kpi_months.bsc_perspective as {{ dbt.type_string() }}) as bsc_perspective,
        cast(definitions.value_formula as {{ dbt.type_string() }}) as value_formula,
        cast(definitions.missing_means as {{ dbt.type_string() }}) as missing_means,
        cast(definitions.unit as {{ dbt.type_string() }}) as unit,
        -- numbers
        cast(kpi_months.weight as {{ dbt.type_numeric() }}) as weight,
        cast(kpi_months.curve_floor as {{ dbt.type_numeric() }}) as curve_floor,
        cast(kpi_months.curve_cap as {{ dbt.type_numeric() }}) as curve_cap,
        kpi_months.days_in_month,
        metric_values.numerator,
        metric_values.denominator,
        metric_values.prior_numerator,
        metric_values.prior_denominator,
        cast(coalesce(metric_values.source_row_count, 0) as {{ dbt.type_bigint() }}) as source_row_count,
        cast(coalesce(metric_values.event_count, 0) as {{ dbt.type_bigint() }}) as event_count,
        cast(
            case
                when kpi_months.target_source = 'plan' then coalesce(targets.target_value, kpi_months.configured_target)
                else kpi_months.configured_target
            end
        as {{ dbt.type_numeric() }}) as target_month,
        -- booleans
        case
            when metric_values.metric is not null then true
            when definitions.missing_means = 'zero' then true
            else false
        end as is_measured,
        -- dates
        kpi_months.period_end,
        kpi_months.first_day,
        kpi_months.last_day
    from kpi_months
    inner join definitions
        on kpi_months.kpi = definitions.metric
    left join metric_values
        on kpi_months.kpi = metric_values.metric
        and kpi_months.subject_type = metric_values.subject_type
        and kpi_months.subject_id = metric_values.subject_id
        and kpi_months.month = metric_values.month
    left join targets
        on kpi_months.subject_id = targets.employee_id
        and kpi_months.plan_target_kpi = targets.kpi
        and kpi_months.month = targets.month_start
        and kpi_months.plan_target_scope = targets.scope

)

select * from final
