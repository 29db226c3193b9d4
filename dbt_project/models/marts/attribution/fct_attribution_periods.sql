-- Month, quarter and year roll-ups of the attributed excess, per department and per person in a department,
-- summed from the months (fct_attribution_department_months, fct_attribution_person_months).
with

department_months as (

    select department, month, attributed_excess_qty, attributed_excess_value_base
    from {{ ref('fct_attribution_department_months') }}

),

person_months as (

    select employee_id, department, month, attributed_excess_qty, attributed_excess_value_base
    from {{ ref('fct_attribution_person_months') }}

),

subject_months as (

    select
        'department' as subject_type, department as subject_id, department, month, attributed_excess_qty,
        attributed_excess_value_base
    from department_months

    union all

    select
        'person', employee_id, department, month, attributed_excess_qty, attributed_excess_value_base
    from person_months

),

periods as (

    select 'month' as period_type, month as period_start, subject_months.* from subject_months

    union all

    select
        'quarter', cast({{ dbt.date_trunc('quarter', 'month') }} as date), subject_months.*
    from subject_months

    union all

    select
        'year', cast({{ dbt.date_trunc('year', 'month') }} as date), subject_months.*
    from subject_months

),

final as (

    select
        -- keys
        period_type,
        period_start,
        subject_type,
        subject_id,
        department,
        -- numbers
        cast(count(*) as {{ dbt.type_bigint() }}) as month_count,
        cast(sum(attributed_excess_qty) as {{ attribution_numeric() }}) as attributed_excess_qty,
        cast(sum(attributed_excess_value_base) as {{ attribution_numeric() }}) as attributed_excess_value_base
    from periods
    group by period_type, period_start, subject_type, subject_id, department

)

select * from final
