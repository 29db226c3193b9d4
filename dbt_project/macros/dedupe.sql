{#
    One row per key from a raw relation that may hold several deliveries of the same record.

    The latest delivery wins: ordered by _loaded_at, then _source_file, then _source_row, all descending
    (a later file or a later row in the same load corrects an earlier one). Portable on purpose: a
    row_number() in a subquery instead of QUALIFY, explicit NULLS LAST so every engine breaks ties alike.

    relation:     a relation or the name of a CTE
    key_columns:  a column name or a list of column names (the contract key)
    order_by:     optional list of "<column> <direction>" replacing the default ordering

    The result keeps every input column plus _dedupe_row_number (always 1); select the columns you need.
#}
{% macro dedupe(relation, key_columns, order_by=none) -%}
    {%- if key_columns is string -%}
        {%- set key_columns = [key_columns] -%}
    {%- endif -%}
    {%- set order_by = order_by or ['_loaded_at desc', '_source_file desc', '_source_row desc'] -%}
    select *
    from (
        select
            _dedupe_input.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {% for expr in order_by %}{{ expr }} nulls last{% if not loop.last %}, {% endif %}{% endfor %}
            ) as _dedupe_row_number
        from {{ relation }} as _dedupe_input
    ) as _dedupe_ranked
    where _dedupe_row_number = 1
{%- endmacro %}
