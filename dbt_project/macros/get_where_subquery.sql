{#
    Overrides dbt's get_where_subquery, which every generic data test calls to wrap the model it tests (and
    which applies the test's `where` config). Two additions:
      - a model incremental by month (the large facts) is tested only on the months of the run's partition
        window (macro monthly_test_where), so a partitioned run tests the months it rebuilt instead of the
        whole table; without a window, every row;
      - a model incremental by changed month (macros/changed_months.sql) is tested on the rows of its newest
        _built_at: the months the last run rewrote (every row after a full build).
    For every other model it behaves as dbt's own macro.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set kind = incremental_kind(relation) if execute else none -%}
    {%- if kind in ('month_window', 'changed_months') -%}
        {%- if kind == 'month_window' -%}
            {%- set window = monthly_test_where() | trim -%}
        {%- else -%}
            {%- set window = '_built_at = (select max(_built_at) from ' ~ relation ~ ')' -%}
        {%- endif -%}
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


{#
    How a model of this project is incremental, by its relation (the model's meta incremental_by):
    'month_window' (the large facts, config from monthly_incremental_config: rebuilt by the run's months),
    'changed_months' (config from changed_months_config, also when Spark builds it as a table), or none.
#}
{% macro incremental_kind(relation) -%}
    {%- if relation.identifier is not defined or relation.identifier is none -%}{{ return(none) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
              and (node.alias or node.name) | lower == relation.identifier | lower
              and node.schema | lower == (relation.schema or '') | lower -%}
            {{ return(node.config.meta.get('incremental_by')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
