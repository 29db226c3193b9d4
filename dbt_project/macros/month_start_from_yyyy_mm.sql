{#
    First day of a month given as 'YYYY-MM' text (the contract's month format), as a date.
#}
{% macro month_start_from_yyyy_mm(yyyy_mm) -%}
    cast({{ dbt.concat([yyyy_mm, "'-01'"]) }} as date)
{%- endmacro %}
