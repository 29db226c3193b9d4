with

role_days as (

    select distinct month from {{ ref('int_employee_role_days') }}

),

month_parts as (

    select
        month,
        cast(extract(year from month) as {{ dbt.type_int() }}) as year_number,
        cast(extract(month from month) as {{ dbt.type_int() }}) as month_number,
        cast(extract(quarter from month) as {{ dbt.type_int() }}) as quarter_number,
        cast({{ dbt.date_trunc('quarter', 'month') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'month') }} as date) as year_start
    from role_days

),

periods as (

    select
        'month' as period_type,
        {{ dbt.concat([
            "cast(year_number as " ~ dbt.type_string() ~ ")",
            "case when month_number < 10 then '-0' else '-' end",
            "cast(month_number as " ~ dbt.type_string() ~ ")",
        ]) }} as period,
        month as period_start,
        cast({{ dbt.last_day('month', 'month') }} as date) as period_end,
        month
    from month_parts

    union all

    select
        'quarter' as period_type,
        {{ dbt.concat([
            "cast(year_number as " ~ dbt.type_string() ~ ")",
            "'-Q'",
            "cast(quarter_number as " ~ dbt.type_string() ~ ")",
        ]) }} as period,
        quarter_start as period_start,
        cast({{ dbt.last_day('quarter_start', 'quarter') }} as date) as period_end,
        month
    from month_parts

    union all

    select
        'year' as period_type,
        cast(year_number as {{ dbt.type_string() }}) as period,
        year_start as period_start,
        cast({{ dbt.last_day('year_start', 'year') }} as date) as period_end,
        month
    from month_parts

),

final as (

    select
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period as {{ dbt.type_string() }}) as period,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(month as date) as month
    from periods

)

select * from final
