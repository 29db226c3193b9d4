{#
    One row per assignment segment and period (an assignment under one scorecard version and tenure band),
    with its days; is_latest marks the segment the person was in at the end of their time in the period.
#}
with

segment_months as (

    select * from {{ ref('int_score_segment_months') }}

),

segments as (

    select
        employee_id,
        period_type,
        period,
        period_start,
        period_end,
        segment_id,
        assignment_id,
        scorecard,
        scorecard_version,
        tenure_band,
        role,
        region,
        variant_region,
        max(department_id) as department_id,
        max(manager_id) as manager_id,
        sum(days_in_month) as segment_days,
        min(first_day) as first_day,
        max(last_day) as last_day
    from segment_months
    group by
        employee_id, period_type, period, period_start, period_end, segment_id, assignment_id, scorecard,
        scorecard_version, tenure_band, role, region, variant_region

),

ranked as (

    select
        segments.*,
        row_number() over (
            partition by employee_id, period_type, period_start
            order by last_day desc, first_day desc, segment_id desc
        ) as recency_rank
    from segments

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(segment_id as {{ dbt.type_string() }}) as segment_id,
        -- ids
        cast(assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(department_id as {{ dbt.type_string() }}) as department_id,
        cast(manager_id as {{ dbt.type_string() }}) as manager_id,
        -- strings
        cast(period as {{ dbt.type_string() }}) as period,
        cast(scorecard as {{ dbt.type_string() }}) as scorecard,
        cast(scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(tenure_band as {{ dbt.type_string() }}) as tenure_band,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(variant_region as {{ dbt.type_string() }}) as variant_region,
        -- numbers
        cast(segment_days as {{ dbt.type_bigint() }}) as segment_days,
        -- booleans
        recency_rank = 1 as is_latest,
        -- dates
        cast(period_end as date) as period_end,
        cast(first_day as date) as first_day,
        cast(last_day as date) as last_day
    from ranked

)

select * from final
