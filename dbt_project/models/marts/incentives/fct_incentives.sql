with

role_scores as (

    select * from {{ ref('fct_role_scores') }}
    where period_type = 'quarter'

),

period_months as (

    select * from {{ ref('int_score_period_months') }}
    where period_type = 'quarter'

),

commissions as (

    select * from {{ ref('int_commission_months') }}

),

rule_checks as (

    select * from {{ ref('int_incentive_rule_checks') }}

),

versions as (

    select scorecard, version, bonus_score_cap from {{ ref('stg_config__scorecard_versions') }}

),

compensation as (

    select employee_id, valid_from, valid_to, bonus_target_quarterly_base from {{ ref('stg_hr__compensation') }}

),

quarter_commissions as (

    select
        period_months.period_start,
        commissions.employee_id,
        sum(commissions.result_base) as commission_result_base,
        sum(commissions.commission_base) as commission_base,
        count(*) as commission_months
    from commissions
    inner join period_months
        on commissions.month = period_months.month
    group by period_months.period_start, commissions.employee_id

),

deductions as (

    select
        employee_id,
        period_start,
        sum(case when is_breached then deduct_pct else 0 end) as deduct_pct,
        sum(case when is_breached then 1 else 0 end) as rules_breached,
        count(*) as rules_checked,
        {{ sorted_string_agg("case when is_breached then rule_id end", "', '") }} as breached_rules
    from rule_checks
    where period_type = 'quarter'
    group by employee_id, period_start

),

-- a month of the quarter that closes a run of promotion_block_months months in breach
promotion_blocks as (

    select
        period_months.period_start,
        rule_checks.employee_id,
        {{ sorted_string_agg('rule_checks.rule_id', "', '", distinct=true) }} as blocking_rules
    from rule_checks
    inner join period_months
        on rule_checks.period_start = period_months.month
    where rule_checks.period_type = 'month'
        and rule_checks.promotion_block_months is not null
        and rule_checks.months_running >= rule_checks.promotion_block_months
    group by period_months.period_start, rule_checks.employee_id

),

-- the bonus target in force at the end of the person's time in the quarter
bonus_targets as (

    select
        role_scores.employee_id,
        role_scores.period_start,
        compensation.bonus_target_quarterly_base,
        row_number() over (
            partition by role_scores.employee_id, role_scores.period_start
            order by compensation.valid_from desc
        ) as target_rank
    from role_scores
    inner join compensation
        on role_scores.employee_id = compensation.employee_id
        and compensation.valid_from <= role_scores.last_day
        and (compensation.valid_to is null or compensation.valid_to >= role_scores.first_day)

),

joined as (

    select
        role_scores.employee_id,
        role_scores.period_start,
        role_scores.period_end,
        role_scores.period,
        role_scores.scorecard,
        role_scores.scorecard_version,
        role_scores.role,
        role_scores.final_score,
        role_scores.team_bonus_points,
        versions.bonus_score_cap,
        bonus_targets.bonus_target_quarterly_base as bonus_target_base,
        coalesce(quarter_commissions.commission_result_base, 0) as commission_result_base,
        coalesce(quarter_commissions.commission_base, 0) as commission_base,
        coalesce(deductions.rules_checked, 0) as rules_checked,
        coalesce(deductions.rules_breached, 0) as rules_breached,
        case when coalesce(deductions.deduct_pct, 0) > 100 then 100 else coalesce(deductions.deduct_pct, 0) end
            as deduct_pct,
        deductions.breached_rules,
        promotion_blocks.blocking_rules
    from role_scores
    left join versions
        on role_scores.scorecard = versions.scorecard
        and role_scores.scorecard_version = versions.version
    left join bonus_targets
        on role_scores.employee_id = bonus_targets.employee_id
        and role_scores.period_start = bonus_targets.period_start
        and bonus_targets.target_rank = 1
    left join quarter_commissions
        on role_scores.employee_id = quarter_commissions.employee_id
        and role_scores.period_start = quarter_commissions.period_start
    left join deductions
        on role_scores.employee_id = deductions.employee_id
        and role_scores.period_start = deductions.period_start
    left join promotion_blocks
        on role_scores.employee_id = promotion_blocks.employee_id
        and role_scores.period_start = promotion_blocks.period_start

),

computed as (

    select
        joined.*,
        case
            when final_score is null then 0
            when final_score <= 0 then 0
            -- x 0.01, not / 100.0: an exact decimal on every engine (DuckDB divides decimals as doubles)
            when final_score * 0.01 > bonus_score_cap then bonus_score_cap
            else final_score * 0.01
        end as bonus_factor
    from joined

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(period_start as date) as period_start,
        -- strings
        cast(period as {{ dbt.type_string() }}) as period,
        cast(scorecard as {{ dbt.type_string() }}) as scorecard,
        cast(scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(breached_rules as {{ dbt.type_string() }}) as breached_rules,
        cast(blocking_rules as {{ dbt.type_string() }}) as promotion_blocking_rules,
        -- numbers
        cast(final_score as {{ dbt.type_numeric() }}) as final_score,
        cast(team_bonus_points as {{ dbt.type_numeric() }}) as team_bonus_points,
        cast(commission_result_base as {{ dbt.type_numeric() }}) as commission_result_base,
        cast(commission_base as {{ dbt.type_numeric() }}) as commission_base,
        cast(bonus_target_base as {{ dbt.type_numeric() }}) as bonus_target_base,
        cast(bonus_factor as {{ dbt.type_numeric() }}) as bonus_factor,
        cast(coalesce(bonus_target_base, 0) * bonus_factor as {{ dbt.type_numeric() }}) as gross_bonus_base,
        cast(rules_checked as {{ dbt.type_bigint() }}) as rules_checked,
        cast(rules_breached as {{ dbt.type_bigint() }}) as rules_breached,
        cast(deduct_pct as {{ dbt.type_numeric() }}) as deduction_pct,
        cast(coalesce(bonus_target_base, 0) * bonus_factor * deduct_pct * 0.01 as {{ dbt.type_numeric() }})
            as deduction_base,
        cast(coalesce(bonus_target_base, 0) * bonus_factor * (1 - deduct_pct * 0.01) as {{ dbt.type_numeric() }})
            as net_bonus_base,
        cast(
            commission_base + coalesce(bonus_target_base, 0) * bonus_factor * (1 - deduct_pct * 0.01)
        as {{ dbt.type_numeric() }}) as total_incentive_base,
        -- booleans
        blocking_rules is null as is_promotion_eligible,
        -- dates
        cast(period_end as date) as period_end
    from computed

)

select * from final
