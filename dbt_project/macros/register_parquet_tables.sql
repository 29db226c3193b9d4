{#
    Spark: register Parquet folders as tables (ingest.targets.land_raw_tables(..., "spark") calls this with
    `dbt run-operation register_parquet_tables --args '{tables: [...]}'`), through dbt's own Spark connection
    so the tables land in the catalog the target builds in.

    tables: list of {schema, table, location, columns: [[name, spark_type], ...]}. Each table is dropped (an
    external table: its files stay) and created again over its folder, with the declared column types.
#}
{% macro register_parquet_tables(tables) -%}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error("register_parquet_tables is for the spark target (got " ~ target.type ~ ")") }}
    {%- endif -%}
    {%- for spec in tables -%}
        {%- do run_query("create database if not exists " ~ spec.schema) -%}
        {%- do run_query("drop table if exists " ~ spec.schema ~ "." ~ spec.table) -%}
        {%- set column_list = [] -%}
        {%- for name, type in spec.columns -%}
            {%- do column_list.append("`" ~ name ~ "` " ~ type) -%}
        {%- endfor -%}
        {%- do run_query(
            "create table " ~ spec.schema ~ "." ~ spec.table ~ " (" ~ column_list | join(", ") ~ ")"
            ~ " using parquet location '" ~ spec.location ~ "'") -%}
        {{ log("registered " ~ spec.schema ~ "." ~ spec.table ~ " -> " ~ spec.location, info=False) }}
    {%- endfor -%}
    {{ log("registered " ~ (tables | length) ~ " Parquet tables", info=True) }}
{%- endmacro %}
