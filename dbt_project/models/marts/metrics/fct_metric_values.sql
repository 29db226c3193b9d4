with

subject_sources as (

    select * from {{ ref('int_metric_subject_sources') }}

),

definitions as (

    select metric, metric_name, unit, value_formula from {{ ref('int_metric_definitions') }}

),

summed as (

    select
        metric,
        subject_type,
        subject_id,
        month,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(prior_numerator) as prior_numerator,
        sum(prior_denominator) as prior_denominator,
        sum(source_row_count) as source_row_count,
        sum(event_count) as event_count
    from subject_sources
    group by metric, subject_type, subject_id, month

),

final as (

    select
        -- keys
        cast(summed.metric as {{ dbt.type_string() }}) as metric,
        cast(summed.subject_type as {{ dbt.type_string() }}) as subject_type,
        cast(summed.subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(summed.month as date) as month,
        -- strings
        cast(definitions.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(definitions.unit as {{ dbt.type_string() }}) as unit,
        cast(definitions.value_formula as {{ dbt.type_string() }}) as value_formula,
        -- numbers
        cast(summed.numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(summed.denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(summed.prior_numerator as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(summed.prior_denominator as {{ dbt.type_numeric() }}) as prior_denominator,
        {{ metric_value('definitions.value_formula', 'summed.numerator', 'summed.denominator',
            'summed.prior_numerator', 'summed.prior_denominator') }} as value,
        cast(summed.source_row_count as {{ dbt.type_bigint() }}) as source_row_count,
        cast(summed.event_count as {{ dbt.type_bigint() }}) as event_count
    from summed
    inner join definitions
        on summed.metric = definitions.metric

)

select * from final
