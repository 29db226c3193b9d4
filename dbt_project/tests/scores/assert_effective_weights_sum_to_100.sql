{#
    The effective weights of a person-period (after proration by days and renormalisation) sum to 100
    whenever the period has a score, so own_kpi_score is a proper weighted average.
#}
select
    kpi_scores.employee_id,
    kpi_scores.period_type,
    kpi_scores.period_start,
    sum(kpi_scores.effective_weight) as total_effective_weight
from {{ ref('fct_kpi_scores') }} as kpi_scores
inner join {{ ref('fct_role_scores') }} as role_scores
    on kpi_scores.employee_id = role_scores.employee_id
    and kpi_scores.period_type = role_scores.period_type
    and kpi_scores.period_start = role_scores.period_start
where role_scores.score_status = 'scored'
group by kpi_scores.employee_id, kpi_scores.period_type, kpi_scores.period_start
having abs(sum(kpi_scores.effective_weight) - 100) > 0.0001
