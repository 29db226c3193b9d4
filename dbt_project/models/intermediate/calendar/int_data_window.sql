{%- set start_month = yyyy_mm_var('start_month') -%}
{%- set end_month = yyyy_mm_var('end_month') -%}

with

sales_orders as (

    select ordered_at, shipped_at from {{ ref('stg_erp__sales_orders') }}

),

purchase_orders as (

    select ordered_at from {{ ref('stg_erp__purchase_orders') }}

),

inventory_snapshots as (

    select snapshot_date from {{ ref('stg_erp__inventory_snapshots') }}

),

punches as (

    select punched_at from {{ ref('stg_attendance__punches') }}

),

activities as (

    select started_at from {{ ref('stg_crm__activities') }}

),

job_assignments as (

    select valid_from, valid_to from {{ ref('stg_hr__job_assignments') }}

),

activity_dates as (

    select cast(ordered_at as date) as activity_date from sales_orders
    union all
    select cast(shipped_at as date) as activity_date from sales_orders
    union all
    select cast(ordered_at as date) as activity_date from purchase_orders
    union all
    select snapshot_date as activity_date from inventory_snapshots
    union all
    select cast(punched_at as date) as activity_date from punches
    union all
    select cast(started_at as date) as activity_date from activities

),

activity_bounds as (

    select
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from activity_dates

),

assignment_bounds as (

    select
        min(valid_from) as first_assignment_date,
        max(coalesce(valid_to, valid_from)) as last_assignment_date
    from job_assignments

),

bounds as (

    select
        coalesce(first_activity_date, first_assignment_date) as first_data_date,
        coalesce(last_activity_date, last_assignment_date) as last_data_date
    from activity_bounds
    cross join assignment_bounds

),

final as (

    select
        {% if start_month is not none -%}
        {{ month_start_from_yyyy_mm("'" ~ start_month ~ "'") }}
        {%- else -%}
        cast({{ dbt.date_trunc('month', 'first_data_date') }} as date)
        {%- endif %} as window_start,
        {% if end_month is not none -%}
        cast({{ dbt.last_day(month_start_from_yyyy_mm("'" ~ end_month ~ "'"), 'month') }} as date)
        {%- else -%}
        last_data_date
        {%- endif %} as window_end,
        first_data_date,
        last_data_date
    from bounds

)

select * from final
