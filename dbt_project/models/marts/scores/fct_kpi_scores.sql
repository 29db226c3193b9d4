with

kpi_scores as (

    select * from {{ ref('int_kpi_scores') }}

),

versions as (

    select scorecard, version, missing_kpi_policy from {{ ref('stg_config__scorecard_versions') }}

),

-- the weight that counts in each segment: KPIs with a score (renormalize) or all KPIs (zero)
counted as (

    select
        kpi_scores.*,
        case
            when versions.missing_kpi_policy = 'zero' then true
            when kpi_scores.score is not null then true
            else false
        end as is_counted
    from kpi_scores
    left join versions
        on kpi_scores.scorecard = versions.scorecard
        and kpi_scores.scorecard_version = versions.version

),

segments as (

    select
        employee_id,
        period_type,
        period_start,
        segment_id,
        max(segment_days) as segment_days,
        sum(case when is_counted then weight else 0 end) as counted_weight
    from counted
    group by employee_id, period_type, period_start, segment_id

),

-- days of the period spent in segments that have a score: the proration base
periods as (

    select
        employee_id,
        period_type,
        period_start,
        sum(case when counted_weight > 0 then segment_days else 0 end) as scored_days,
        sum(segment_days) as role_days
    from segments
    group by employee_id, period_type, period_start

),

weighted as (

    select
        counted.*,
        segments.counted_weight,
        periods.scored_days,
        periods.role_days,
        case
            when counted.is_counted and segments.counted_weight > 0 and periods.scored_days > 0 then
                {{ divide('counted.segment_days * counted.weight', 'periods.scored_days * segments.counted_weight') }}
            else 0
        end as weight_share
    from counted
    inner join segments
        on counted.employee_id = segments.employee_id
        and counted.period_type = segments.period_type
        and counted.period_start = segments.period_start
        and counted.segment_id = segments.segment_id
    inner join periods
        on counted.employee_id = periods.employee_id
        and counted.period_type = periods.period_type
        and counted.period_start = periods.period_start

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(segment_id as {{ dbt.type_string() }}) as segment_id,
        cast(kpi as {{ dbt.type_string() }}) as kpi,
        cast(subject_type as {{ dbt.type_string() }}) as subject_type,
        -- ids
        cast(assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        -- strings
        cast(period as {{ dbt.type_string() }}) as period,
        cast(scorecard as {{ dbt.type_string() }}) as scorecard,
        cast(scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(tenure_band as {{ dbt.type_string() }}) as tenure_band,
        cast(kpi_label as {{ dbt.type_string() }}) as kpi_label,
        cast(bsc_perspective as {{ dbt.type_string() }}) as bsc_perspective,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(curve as {{ dbt.type_string() }}) as curve,
        cast(target_source as {{ dbt.type_string() }}) as target_source,
        cast(value_formula as {{ dbt.type_string() }}) as value_formula,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(score_status as {{ dbt.type_string() }}) as score_status,
        -- numbers
        cast(weight as {{ dbt.type_numeric() }}) as weight,
        cast(100 * weight_share as {{ dbt.type_numeric() }}) as effective_weight,
        cast(segment_days as {{ dbt.type_bigint() }}) as segment_days,
        cast(scored_days as {{ dbt.type_bigint() }}) as scored_days,
        cast(role_days as {{ dbt.type_bigint() }}) as role_days,
        cast(months_measured as {{ dbt.type_bigint() }}) as months_measured,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(prior_numerator as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(prior_denominator as {{ dbt.type_numeric() }}) as prior_denominator,
        cast(actual as {{ dbt.type_numeric() }}) as actual,
        cast(target as {{ dbt.type_numeric() }}) as target,
        cast(attainment as {{ dbt.type_numeric() }}) as attainment,
        cast(score as {{ dbt.type_numeric() }}) as score,
        cast(weight_share * coalesce(score, 0) as {{ dbt.type_numeric() }}) as contribution,
        cast(source_row_count as {{ dbt.type_bigint() }}) as source_row_count,
        -- booleans
        is_counted,
        -- dates
        cast(period_end as date) as period_end,
        cast(first_day as date) as first_day,
        cast(last_day as date) as last_day
    from weighted

)

select * from final
