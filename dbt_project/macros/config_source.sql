{#
    Select from a table of the `config` source (the scorecard the orchestration writes with
    orchestration.scorecards.write_scorecards), or, when that table does not exist yet (a warehouse where
    no scorecard has been written), from an empty relation of the same columns, so the project still builds
    and the scores are simply empty. The dependency on the source is recorded either way.

    table:   source table name
    columns: list of (name, type) pairs, type one of string, date, numeric, integer, boolean
#}
{% macro config_source(table, columns) -%}
    {%- set relation = source('config', table) -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- endif -%}
    {%- if existing is not none or not execute %}
    select
        {%- for name, type in columns %}
        {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {%- else -%}
    {{ log("config." ~ table ~ " does not exist: no scorecard has been written to this warehouse (scores stay empty)", info=True) }}
    select
        {%- for name, type in columns %}
        cast(null as {{ config_column_type(type) }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from (select 1 as _no_scorecard) as _empty
    where 1 = 0
    {%- endif %}
{%- endmacro %}


{% macro config_column_type(type) -%}
    {%- if type == 'string' -%}{{ dbt.type_string() }}
    {%- elif type == 'date' -%}date
    {%- elif type == 'numeric' -%}{{ dbt.type_numeric() }}
    {%- elif type == 'integer' -%}{{ dbt.type_int() }}
    {%- elif type == 'boolean' -%}{{ dbt.type_boolean() }}
    {%- else -%}{{ exceptions.raise_compiler_error("config_source: unknown column type " ~ type) }}
    {%- endif -%}
{%- endmacro %}
