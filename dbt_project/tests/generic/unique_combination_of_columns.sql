{#
    Compound primary-key test: fails with one row per combination of the columns that occurs more than
    once. Pair it with not_null tests on each column for a full primary-key check.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
