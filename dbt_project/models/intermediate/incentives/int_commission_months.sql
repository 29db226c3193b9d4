{#
    Monthly commission of the people the commission rule applies to (their latest role in the month): the
    tier rate reached by quota attainment on the commission KPI (the highest tier whose attainment is
    reached applies to the month's whole result), plus the slow-moving uplift when a tier is reached:
    floor(100 x slow-moving sales share / step_points) steps x rate_per_step (at most max_steps).
    commission = result x (tier rate + uplift rate); no quota -> no attainment, no commission.
#}
with

rules as (

    select * from {{ ref('stg_config__incentive_rules') }}
    where rule_type = 'commission'

),

tiers as (

    select * from {{ ref('stg_config__commission_tiers') }}

),

segments as (

    select * from {{ ref('int_score_segments') }}
    where is_latest and period_type = 'month'

),

metric_values as (

    select metric, subject_id, month, value from {{ ref('fct_metric_values') }}
    where subject_type = 'person'

),

targets as (

    select employee_id, kpi, month_start, target_value
    from {{ ref('stg_hr__individual_targets') }}
    where scope = 'individual'

),

eligible as (

    select
        segments.employee_id,
        segments.period_start as month,
        segments.period,
        segments.scorecard,
        segments.scorecard_version,
        segments.role,
        rules.kpi,
        rules.uplift_kpi,
        rules.uplift_step_points,
        rules.uplift_rate_per_step,
        rules.uplift_max_steps
    from segments
    inner join rules
        on segments.scorecard = rules.scorecard
        and segments.scorecard_version = rules.version
        and segments.role = rules.role

),

measured as (

    select
        eligible.*,
        coalesce(results.value, 0) as result_base,
        targets.target_value as quota_base,
        case
            when targets.target_value > 0 then
                {{ divide('coalesce(results.value, 0)', 'targets.target_value') }}
        end as attainment,
        uplift.value as uplift_share
    from eligible
    left join metric_values as results
        on eligible.employee_id = results.subject_id
        and eligible.kpi = results.metric
        and eligible.month = results.month
    left join targets
        on eligible.employee_id = targets.employee_id
        and eligible.kpi = targets.kpi
        and eligible.month = targets.month_start
    left join metric_values as uplift
        on eligible.employee_id = uplift.subject_id
        and eligible.uplift_kpi = uplift.metric
        and eligible.month = uplift.month

),

tiered as (

    select
        measured.employee_id,
        measured.month,
        max(tiers.rate) as tier_rate
    from measured
    inner join tiers
        on measured.scorecard = tiers.scorecard
        and measured.scorecard_version = tiers.version
        and tiers.min_attainment <= measured.attainment
    group by measured.employee_id, measured.month

),

rated as (

    select
        measured.*,
        coalesce(tiered.tier_rate, 0) as tier_rate,
        case
            when coalesce(tiered.tier_rate, 0) = 0 or measured.uplift_share is null
                or measured.uplift_step_points is null then 0
            when measured.uplift_max_steps is not null
                and floor(100 * measured.uplift_share / measured.uplift_step_points) > measured.uplift_max_steps
                then measured.uplift_max_steps
            when measured.uplift_share < 0 then 0
            else floor(100 * measured.uplift_share / measured.uplift_step_points)
        end as uplift_steps
    from measured
    left join tiered
        on measured.employee_id = tiered.employee_id
        and measured.month = tiered.month

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(month as date) as month,
        -- strings
        cast(period as {{ dbt.type_string() }}) as period,
        cast(scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(kpi as {{ dbt.type_string() }}) as commission_kpi,
        -- numbers
        cast(result_base as {{ dbt.type_numeric() }}) as result_base,
        cast(quota_base as {{ dbt.type_numeric() }}) as quota_base,
        cast(attainment as {{ dbt.type_numeric() }}) as attainment,
        cast(tier_rate as {{ dbt.type_numeric() }}) as tier_rate,
        cast(uplift_share as {{ dbt.type_numeric() }}) as uplift_share,
        cast(uplift_steps as {{ dbt.type_int() }}) as uplift_steps,
        cast(uplift_steps * coalesce(uplift_rate_per_step, 0) as {{ dbt.type_numeric() }}) as uplift_rate,
        cast(tier_rate + uplift_steps * coalesce(uplift_rate_per_step, 0) as {{ dbt.type_numeric() }})
            as commission_rate,
        cast(
            case when result_base > 0 then result_base * (tier_rate + uplift_steps * coalesce(uplift_rate_per_step, 0))
            else 0 end
        as {{ dbt.type_numeric() }}) as commission_base
    from rated

)

select * from final
