{#
    Every person on the employee-role-day spine has a role score for every month, quarter and year they
    held a role in (uniqueness is fct_role_scores' primary-key test). Checked once a scorecard is loaded.
#}
with

spine as (

    select distinct employee_id, month from {{ ref('int_employee_role_days') }}

),

expected as (

    select distinct
        spine.employee_id,
        period_months.period_type,
        period_months.period_start
    from spine
    inner join {{ ref('int_score_period_months') }} as period_months
        on spine.month = period_months.month

),

loaded as (

    select count(*) as versions from {{ ref('stg_config__scorecard_versions') }}

)

select expected.*
from expected
cross join loaded
left join {{ ref('fct_role_scores') }} as role_scores
    on expected.employee_id = role_scores.employee_id
    and expected.period_type = role_scores.period_type
    and expected.period_start = role_scores.period_start
where loaded.versions > 0
    and role_scores.employee_id is null
