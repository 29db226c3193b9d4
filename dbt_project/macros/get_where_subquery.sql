{#
    Overrides dbt's get_where_subquery, which every generic data test calls to wrap the model it tests (and
    which applies the test's `where` config). One addition: a model incremental by month is tested only on
    the months of the run's partition window (macro monthly_test_where), so a partitioned run tests the
    months it rebuilt instead of the whole table. Without a window, and for every other model, it behaves as
    dbt's own macro.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if execute and is_monthly_incremental(relation) -%}
        {%- set window = monthly_test_where() | trim -%}
        {#- never "where (": Spark reads "<table> where (x)" as the table aliased `where` with a column alias -#}
        {%- if window and where -%}
            {%- set where = window ~ ' and (' ~ where ~ ')' -%}
        {%- elif window -%}
            {%- set where = window -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{# True when relation is a model of this project incremental by month (config from monthly_incremental_config). #}
{% macro is_monthly_incremental(relation) -%}
    {%- if relation.identifier is not defined or relation.identifier is none -%}{{ return(false) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental'
              and (node.alias or node.name) | lower == relation.identifier | lower
              and node.schema | lower == (relation.schema or '') | lower -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
