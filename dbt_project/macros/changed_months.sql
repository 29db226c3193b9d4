{#
    Models rebuilt only in the months whose rows changed ("changed-month incremental"): the metric events.

    Such a model computes all its rows every run (its SQL is unchanged, so the result is by construction the
    same as a full refresh), but writes only the months whose rows differ from what the table holds. For large
    tables most of a rebuild is writing rows, and a new month changes few event months: the new month, months
    that got late records, and any month a change reaches (a new HR record, a corrected price, ...), wherever it
    is. Which months differ is found by content, not by rules about which inputs feed which month, so every
    cross-month convention (prior-year components, first orders, follow-up windows, the data window) is covered.

    A month "differs" when its row count or the sum of a 64-bit hash of each row (every column but the month
    and _built_at) differs between the new rows and the table. The row hashes are computed in the same run,
    from the same column types, on both sides.

      - duckdb, postgres: incremental, delete+insert on unique_key `month` (the changed months are deleted and
        inserted again); a month that has no rows any more is deleted by the pre-hook delete_vanished_months;
      - spark: a plain table rebuilt in full (writing is spread over the cluster; no DELETE on Parquet tables).

    Every row carries _built_at, the start time of the dbt run that wrote it. The data tests of such a model
    check the rows of the newest _built_at only (macro get_where_subquery): the months this run rewrote. The
    other months are the rows an earlier run wrote and tested, unchanged.
#}

{#
    month_models: the models whose `month` column lists the months this model's rows will have (its input
    tables); they feed the pre-hook that deletes the months without rows (macro delete_vanished_months).
#}
{% macro changed_months_config(month_models) -%}
    {{ return(adapter.dispatch('changed_months_config', 'scorelink')(month_models)) }}
{%- endmacro %}

{% macro default__changed_months_config(month_models) -%}
    {#- the hook is rendered when the model runs: is_incremental() and ref() are only known then -#}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
               'unique_key': 'month', 'on_schema_change': 'fail',
               'pre_hook': '{{ delete_vanished_months(' ~ month_models | tojson ~ ') }}',
               'meta': {'incremental_by': 'changed_months'}}) }}
{%- endmacro %}

{% macro spark__changed_months_config(month_models) -%}
    {{ return({'materialized': 'table', 'meta': {'incremental_by': 'changed_months'}}) }}
{%- endmacro %}


{# The _built_at column: when the dbt run that writes the row started (the same for every model of a run). #}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#
    `as not materialized` for a CTE read twice (once to find the changed months, once for their rows):
    computing it twice costs less than holding millions of rows (DuckDB and PostgreSQL 12+ would otherwise
    materialize a CTE that is referenced twice). Every CTE that CTE reads needs it too: once the outer CTE is
    inlined twice, DuckDB 1.4 materializes the inner ones (fct_metric_events at 5,000 x 24: 13.8 s instead of
    4.4 s). Spark builds these models as plain tables: nothing to say.

    This pays where writing dominates (fct_metric_events: its inputs are tables, the events cost a join). It
    does not for int_metric_events_sales: computing its events takes 8 s of its 10 s (measured at 5,000 x 24),
    and finding the changed months computes them again (12 s with nothing to write).
#}
{% macro cte_not_materialized() -%}
    {{ return(adapter.dispatch('cte_not_materialized', 'scorelink')()) }}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}not materialized{%- endmacro %}

{% macro spark__cte_not_materialized() -%}{%- endmacro %}


{# A 64-bit hash of the given columns of one row (null-safe: a null and an empty string hash differently).
   Not needed on Spark, which builds these models as plain tables. #}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'scorelink')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro postgres__row_hash(columns) -%}
    hashtextextended(cast(row({{ columns | join(', ') }}) as text), 0)
{%- endmacro %}


{#
    The model's final select: every row of the CTE `rows` on a first build or a full refresh; in an incremental
    run only the rows of the months that differ from the table (see above).
#}
{% macro select_changed_months(rows) -%}
    {%- if is_incremental() -%}
        {%- set hashed = [] -%}
        {%- for column in adapter.get_columns_in_relation(this) -%}
            {%- if column.name | lower not in ('month', '_built_at') -%}
                {%- do hashed.append(adapter.quote(column.name)) -%}
            {%- endif -%}
        {%- endfor -%}
select *
from {{ rows }}
where month in (
    select new_months.month
    from (
        select month, count(*) as row_count, sum({{ row_hash(hashed) }}) as hash_sum
        from {{ rows }}
        group by month
    ) as new_months
    left join (
        select month, count(*) as row_count, sum({{ row_hash(hashed) }}) as hash_sum
        from {{ this }}
        group by month
    ) as built_months
        on new_months.month = built_months.month
    where built_months.month is null
        or new_months.row_count <> built_months.row_count
        or new_months.hash_sum <> built_months.hash_sum
)
    {%- else -%}
select * from {{ rows }}
    {%- endif -%}
{%- endmacro %}


{#
    Pre-hook of a changed-month model: delete the months that no longer have any row. delete+insert replaces
    only the months present in the new rows, so a month whose rows all went away would otherwise stay.
#}
{% macro delete_vanished_months(month_models) -%}
    {%- if is_incremental() -%}
delete from {{ this }} where month not in (
    {%- for name in month_models %}
    select month from {{ ref(name) }} where month is not null
    {%- if not loop.last %} union{% endif %}
    {%- endfor %}
)
    {%- else -%}
select 1
    {%- endif -%}
{%- endmacro %}
