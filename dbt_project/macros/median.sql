{#
    The median (continuous: the mean of the two middle values for an even count) of a numeric expression over
    the group, ignoring nulls; null when the group has no value. dbt has no cross-database median.

    DuckDB and PostgreSQL: the SQL standard ordered-set aggregate percentile_cont(0.5) within group (order by ...).
    Spark: percentile(expression, 0.5), its exact (not approximate) percentile with the same interpolation.
    The result is cast to dbt.type_numeric() so every engine gives the same digits.
#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    cast(percentile_cont(0.5) within group (order by {{ expression }}) as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    cast(percentile({{ expression }}, 0.5) as {{ dbt.type_numeric() }})
{%- endmacro %}
