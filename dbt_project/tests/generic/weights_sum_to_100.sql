{#
    Scorecard weights: fails with one row per scorecard version, role and variant whose KPI weights do not
    sum to 100 (the loader checks this too; this test guards the warehouse tables themselves).
#}
{% test weights_sum_to_100(model) %}

select
    scorecard,
    version,
    role,
    region,
    tenure_band,
    sum(weight) as total_weight
from {{ model }}
group by scorecard, version, role, region, tenure_band
having sum(weight) <> 100

{% endtest %}
