{#
    Whole minutes from start_ts to end_ts, counted as minute boundaries crossed (10:00:59 -> 10:01:00 is one
    minute), as DuckDB's and PostgreSQL's dbt.datediff(..., 'minute') count them. dbt-spark's datediff
    rounds the elapsed seconds up instead (10:00:10 -> 10:01:00 would be one minute, 10:00:00 -> 10:00:30
    too), so Spark truncates both timestamps to the minute first.
#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minutes_between')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minutes_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'minute') }}
{%- endmacro %}

{% macro spark__minutes_between(start_ts, end_ts) -%}
    ((unix_timestamp(date_trunc('minute', {{ end_ts }})) - unix_timestamp(date_trunc('minute', {{ start_ts }}))) div 60)
{%- endmacro %}
