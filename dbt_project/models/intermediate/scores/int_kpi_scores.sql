{#
    One row per assignment segment, period and KPI: the metric value over the segment's months (from the
    summed components), the target, the attainment and the score on the KPI's curve.
#}
with

kpi_months as (

    select * from {{ ref('int_kpi_segment_months') }}

),

bands as (

    select * from {{ ref('stg_config__scorecard_kpi_bands') }}

),

last_months as (

    select
        kpi_months.*,
        max(month) over (partition by employee_id, period_type, period_start, segment_id) as segment_last_month
    from kpi_months

),

summed as (

    select
        employee_id,
        period_type,
        period_start,
        segment_id,
        kpi,
        subject_type,
        assignment_id,
        period,
        period_end,
        scorecard,
        scorecard_version,
        tenure_band,
        role,
        region,
        variant_region,
        kpi_label,
        target_source,
        direction,
        curve,
        bsc_perspective,
        value_formula,
        missing_means,
        unit,
        weight,
        curve_floor,
        curve_cap,
        max(case when month = segment_last_month then subject_id end) as subject_id,
        sum(days_in_month) as segment_days,
        count(*) as months_in_segment,
        sum(case when is_measured then 1 else 0 end) as months_measured,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(prior_numerator) as prior_numerator,
        sum(prior_denominator) as prior_denominator,
        sum(source_row_count) as source_row_count,
        sum(case when is_measured then target_month end) as measured_target_sum,
        sum(case when is_measured and target_month is null then 1 else 0 end) as measured_months_without_target,
        avg(target_month) as target_average,
        sum(case when target_month is null then 1 else 0 end) as months_without_target,
        min(first_day) as first_day,
        max(last_day) as last_day
    from last_months
    group by
        employee_id, period_type, period_start, segment_id, kpi, subject_type, assignment_id, period, period_end,
        scorecard, scorecard_version, tenure_band, role, region, variant_region, kpi_label, target_source,
        direction, curve, bsc_perspective, value_formula, missing_means, unit, weight, curve_floor, curve_cap

),

valued as (

    select
        summed.*,
        case
            when months_measured = 0 then null
            when value_formula = 'sum' then cast(coalesce(numerator, 0) as {{ dbt.type_numeric() }})
            else {{ metric_value('value_formula', 'numerator', 'denominator', 'prior_numerator', 'prior_denominator') }}
        end as actual,
        -- counts and amounts: the months' targets add up; rates and averages: a level, the months' average
        case
            when value_formula = 'sum' then
                case when months_measured > 0 and measured_months_without_target = 0 then measured_target_sum end
            else
                case when months_without_target = 0 then target_average end
        end as target
    from summed

),

attained as (

    select
        valued.*,
        case
            when actual is null or target is null or target <= 0 then null
            when direction = 'lower_is_better' then
                2 - {{ divide('actual', 'target') }}
            else {{ divide('actual', 'target') }}
        end as attainment
    from valued

),

banded as (

    select
        attained.employee_id,
        attained.period_type,
        attained.period_start,
        attained.segment_id,
        attained.kpi,
        attained.subject_type,
        max(bands.band_score) as band_score
    from attained
    inner join bands
        on attained.scorecard = bands.scorecard
        and attained.scorecard_version = bands.version
        and attained.role = bands.role
        and attained.tenure_band = bands.tenure_band
        and coalesce(attained.variant_region, '*') = coalesce(bands.region, '*')
        and attained.kpi = bands.kpi
        and attained.subject_type = bands.subject
        and bands.band_attainment <= attained.attainment
    where attained.curve = 'bands'
    group by
        attained.employee_id, attained.period_type, attained.period_start, attained.segment_id, attained.kpi,
        attained.subject_type

),

scored as (

    select
        attained.*,
        case
            when attained.actual is null or attained.target is null then null
            when attained.curve = 'binary' then
                case
                    when attained.direction = 'lower_is_better' and attained.actual <= attained.target then 100
                    when attained.direction = 'higher_is_better' and attained.actual >= attained.target then 100
                    else 0
                end
            when attained.attainment is null then null
            when attained.curve = 'bands' then coalesce(banded.band_score, 0)
            when attained.attainment < attained.curve_floor then 0
            when attained.attainment < 0 then 0
            when attained.attainment > attained.curve_cap then 100 * attained.curve_cap
            else 100 * attained.attainment
        end as score
    from attained
    left join banded
        on attained.employee_id = banded.employee_id
        and attained.period_type = banded.period_type
        and attained.period_start = banded.period_start
        and attained.segment_id = banded.segment_id
        and attained.kpi = banded.kpi
        and attained.subject_type = banded.subject_type

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
        cast(variant_region as {{ dbt.type_string() }}) as variant_region,
        cast(kpi_label as {{ dbt.type_string() }}) as kpi_label,
        cast(bsc_perspective as {{ dbt.type_string() }}) as bsc_perspective,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(curve as {{ dbt.type_string() }}) as curve,
        cast(target_source as {{ dbt.type_string() }}) as target_source,
        cast(value_formula as {{ dbt.type_string() }}) as value_formula,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(
            case
                when actual is null then 'no_data'
                when target is null then 'no_target'
                when score is null then 'no_target'
                else 'scored'
            end
        as {{ dbt.type_string() }}) as score_status,
        -- numbers
        cast(weight as {{ dbt.type_numeric() }}) as weight,
        cast(segment_days as {{ dbt.type_bigint() }}) as segment_days,
        cast(months_measured as {{ dbt.type_bigint() }}) as months_measured,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(prior_numerator as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(prior_denominator as {{ dbt.type_numeric() }}) as prior_denominator,
        cast(actual as {{ dbt.type_numeric() }}) as actual,
        cast(target as {{ dbt.type_numeric() }}) as target,
        cast(attainment as {{ dbt.type_numeric() }}) as attainment,
        cast(score as {{ dbt.type_numeric() }}) as score,
        cast(source_row_count as {{ dbt.type_bigint() }}) as source_row_count,
        -- dates
        cast(period_end as date) as period_end,
        cast(first_day as date) as first_day,
        cast(last_day as date) as last_day
    from scored

)

select * from final
