{#
    Incremental-by-month models: the large facts (punches, CRM activities, order lines, inventory snapshots).

    Each such model carries _partition_month (first day of the record's business month) and is rebuilt a
    whole month at a time, never row by row (meta incremental_by: month_window; the Dagster asset
    scorelink_dbt_monthly selects them by it):
      - duckdb, postgres (default): strategy delete+insert on unique_key _partition_month: every month present
        in the new batch is deleted from the table, then the batch is inserted (one month = one key, so the
        delete is a single-column IN, not the slow multi-column kind);
      - spark: insert_overwrite with partition_by _partition_month (dynamic partition overwrite).

    Which months a run rebuilds (macro monthly_window, used in the model's where clause):
      - first build or --full-refresh: every month;
      - incremental run without vars: every month (same result as a full refresh, the table is kept);
      - incremental run with vars partition_start_month / partition_end_month ('YYYY-MM', inclusive; one of
        them alone means that month): those months, PLUS every month that has raw rows loaded after the
        newest _loaded_at already in the table (late deliveries: an order of March delivered in April's file
        makes the April run rebuild March too, whole, so March equals a full refresh).
#}

{% macro monthly_incremental_config() -%}
    {{ return(adapter.dispatch('monthly_incremental_config', 'scorelink')()) }}
{%- endmacro %}

{% macro default__monthly_incremental_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': '_partition_month', 'on_schema_change': 'fail',
               'meta': {'incremental_by': 'month_window'}}) }}
{%- endmacro %}

{% macro spark__monthly_incremental_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
               'partition_by': ['_partition_month'], 'on_schema_change': 'fail',
               'meta': {'incremental_by': 'month_window'}}) }}
{%- endmacro %}


{# The business month of a date or timestamp expression, as a date (first day of the month). #}
{% macro partition_month(date_expr) -%}
    cast({{ dbt.date_trunc('month', 'cast(' ~ date_expr ~ ' as date)') }} as date)
{%- endmacro %}


{#
    The month bounds compare the date itself, never date_trunc(...) <= a constant: DuckDB 1.4.5 rewrites that
    comparison wrongly (date_trunc('month', date '2024-03-01') <= date '2024-02-01' comes out true).

    A boolean SQL condition on the rows of `relation` (a raw source or a CTE over it): true for rows whose
    business month (date_expr, evaluated on the relation's columns) must be rebuilt by this run.
    loaded_at_expr: the relation's load time column(s), compared with the newest _loaded_at already built.
#}
{#
    The months a partitioned run asks for, [start, end] as 'YYYY-MM' (both none: no window, every month).
    From the vars partition_start_month / partition_end_month, or else from the environment variables
    SCORELINK_PARTITION_START_MONTH / SCORELINK_PARTITION_END_MONTH. The Dagster assets use the environment
    variables: every dbt call of a run then has the same --vars, so dbt's partial parsing stays valid across
    calls (a change of --vars forces a full re-parse). The environment variables are read at execution only,
    never while parsing, so their values never invalidate the parse either.
#}
{% macro partition_window() -%}
    {%- set start = yyyy_mm_var('partition_start_month') -%}
    {%- set end = yyyy_mm_var('partition_end_month') -%}
    {#- execute only: read at parse time, the environment variables would tie every file to their values -#}
    {%- if start is none and end is none and execute -%}
        {%- set start = yyyy_mm_value('SCORELINK_PARTITION_START_MONTH',
                                      env_var('SCORELINK_PARTITION_START_MONTH', '')) -%}
        {%- set end = yyyy_mm_value('SCORELINK_PARTITION_END_MONTH', env_var('SCORELINK_PARTITION_END_MONTH', '')) -%}
    {%- endif -%}
    {%- if start is none -%}{%- set start = end -%}{%- endif -%}
    {%- if end is none -%}{%- set end = start -%}{%- endif -%}
    {%- if start is not none and end < start -%}
        {{ exceptions.raise_compiler_error("partition_end_month " ~ end ~ " is before partition_start_month " ~ start) }}
    {%- endif -%}
    {{ return([start, end]) }}
{%- endmacro %}


{#
    The `where` of the data tests of a model incremental by month: in a partitioned run (a month window is
    set), only the rows of the window's months are tested (the months the run rebuilt; a month rebuilt because
    of late records is tested by the next run without a window, e.g. the nightly one). Without a window: empty
    (every row). Applied by get_where_subquery (macros/get_where_subquery.sql) to every data test of such a model.
#}
{% macro monthly_test_where() -%}
    {%- set window = partition_window() -%}
    {%- if window[0] is not none -%}
        _partition_month >= {{ month_start_from_yyyy_mm("'" ~ window[0] ~ "'") }}
        and _partition_month < cast({{ dbt.dateadd('month', 1, month_start_from_yyyy_mm("'" ~ window[1] ~ "'")) }} as date)
    {%- endif -%}
{%- endmacro %}


{% macro monthly_window(date_expr, relation, loaded_at_expr='_loaded_at') -%}
    {%- set window = partition_window() -%}
    {%- set start = window[0] -%}
    {%- set end = window[1] -%}
    {#- without vars, or without a table to add to (also in unit tests, where `this` is not set): everything -#}
    {%- if start is none or not this or not is_incremental() -%}
        1 = 1
    {%- else -%}
        (
            (
                cast({{ date_expr }} as date) >= {{ month_start_from_yyyy_mm("'" ~ start ~ "'") }}
                and cast({{ date_expr }} as date)
                    < cast({{ dbt.dateadd('month', 1, month_start_from_yyyy_mm("'" ~ end ~ "'")) }} as date)
            )
            or {{ partition_month(date_expr) }} in (
                select distinct {{ partition_month(date_expr) }}
                from {{ relation }}
                where {{ loaded_at_expr }} > (select max(_loaded_at) from {{ this }})
            )
        )
    {%- endif -%}
{%- endmacro %}
