{#
    Primary-key test for a one-row model (its key is the empty tuple): fails unless the model has exactly
    one row.
#}
{% test single_row(model) %}

select n_records
from (
    select count(*) as n_records
    from {{ model }}
) as counted
where n_records <> 1

{% endtest %}
