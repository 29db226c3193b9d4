{#
    The non-null values of a text expression joined with a delimiter, in byte order, optionally distinct;
    null when there is none. The same string on every engine: dbt.listagg cannot promise that (Spark ignores
    its order_by_clause, and PostgreSQL would sort by the database's collation).

    expression:     SQL expression (text)
    delimiter_text: quoted SQL string literal, e.g. "', '"
#}
{% macro sorted_string_agg(expression, delimiter_text, distinct=false) -%}
    {{ return(adapter.dispatch('sorted_string_agg')(expression, delimiter_text, distinct)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, delimiter_text, distinct) -%}
    string_agg({% if distinct %}distinct {% endif %}{{ expression }}, {{ delimiter_text }} order by {{ expression }})
{%- endmacro %}

{% macro postgres__sorted_string_agg(expression, delimiter_text, distinct) -%}
    string_agg(
        {% if distinct %}distinct {% endif %}cast({{ expression }} as text) collate "C", {{ delimiter_text }}
        order by cast({{ expression }} as text) collate "C")
{%- endmacro %}

{% macro spark__sorted_string_agg(expression, delimiter_text, distinct) -%}
    nullif(array_join(array_sort({% if distinct %}collect_set{% else %}collect_list{% endif %}({{ expression }})), {{ delimiter_text }}), '')
{%- endmacro %}
