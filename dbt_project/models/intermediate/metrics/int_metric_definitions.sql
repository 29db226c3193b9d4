{#
    The metric library's catalog as a table: one row per metric, read at compile time from the `metrics` list
    in the meta of the int_metric_events_<domain> models (models/intermediate/metrics/_metrics__models.yml),
    the single place where a metric's name, unit, value formula and conventions are declared. The scorecard
    loader (orchestration/scorecards) validates KPI codes against the same list.
#}
{%- set definitions = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.meta.get('metrics') -%}
            {%- for metric in node.config.meta['metrics'] -%}
                {%- do definitions.append((node.name, metric)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

definitions as (

    {%- for model_name, m in definitions %}
    select
        '{{ m.metric }}' as metric,
        '{{ m.name | replace("'", "''") }}' as metric_name,
        '{{ m.unit }}' as unit,
        '{{ m.value_formula }}' as value_formula,
        '{{ m.direction }}' as direction,
        '{{ m.perspective }}' as bsc_perspective,
        '{{ m.missing }}' as missing_means,
        '{{ m.formula | replace("'", "''") }}' as formula,
        '{{ model_name }}' as events_model
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        'none' as metric, 'none' as metric_name, 'none' as unit, 'none' as value_formula, 'none' as direction,
        'none' as bsc_perspective, 'none' as missing_means, 'none' as formula, 'none' as events_model
    from {{ ref('int_data_window') }}
    where 1 = 0
    {%- endfor %}

),

final as (

    select
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(value_formula as {{ dbt.type_string() }}) as value_formula,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(bsc_perspective as {{ dbt.type_string() }}) as bsc_perspective,
        cast(missing_means as {{ dbt.type_string() }}) as missing_means,
        cast(formula as {{ dbt.type_string() }}) as formula,
        cast(events_model as {{ dbt.type_string() }}) as events_model
    from definitions

)

select * from final
