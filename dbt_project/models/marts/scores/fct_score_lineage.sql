with

kpi_months as (

    select * from {{ ref('int_kpi_segment_months') }}

),

subject_sources as (

    select * from {{ ref('int_metric_subject_sources') }}

),

final as (

    select
        -- keys
        cast(kpi_months.employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(kpi_months.period_type as {{ dbt.type_string() }}) as period_type,
        cast(kpi_months.period_start as date) as period_start,
        cast(kpi_months.segment_id as {{ dbt.type_string() }}) as segment_id,
        cast(kpi_months.kpi as {{ dbt.type_string() }}) as kpi,
        cast(kpi_months.subject_type as {{ dbt.type_string() }}) as subject_type,
        cast(kpi_months.month as date) as month,
        cast(coalesce(subject_sources.source_table, '(no data)') as {{ dbt.type_string() }}) as source_table,
        -- ids
        cast(kpi_months.subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(kpi_months.assignment_id as {{ dbt.type_string() }}) as assignment_id,
        -- strings
        cast(kpi_months.period as {{ dbt.type_string() }}) as period,
        cast(kpi_months.scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(kpi_months.role as {{ dbt.type_string() }}) as role,
        cast(kpi_months.kpi_label as {{ dbt.type_string() }}) as kpi_label,
        cast(kpi_months.value_formula as {{ dbt.type_string() }}) as value_formula,
        -- numbers
        cast(kpi_months.days_in_month as {{ dbt.type_bigint() }}) as days_in_month,
        cast(subject_sources.numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(subject_sources.denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(subject_sources.prior_numerator as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(subject_sources.prior_denominator as {{ dbt.type_numeric() }}) as prior_denominator,
        cast(coalesce(subject_sources.source_row_count, 0) as {{ dbt.type_bigint() }}) as source_row_count,
        cast(coalesce(subject_sources.event_count, 0) as {{ dbt.type_bigint() }}) as event_count,
        cast(kpi_months.target_month as {{ dbt.type_numeric() }}) as target_month
    from kpi_months
    left join subject_sources
        on kpi_months.kpi = subject_sources.metric
        and kpi_months.subject_type = subject_sources.subject_type
        and kpi_months.subject_id = subject_sources.subject_id
        and kpi_months.month = subject_sources.month

)

select * from final
