{%- set domains = ['sales', 'customers', 'inventory', 'purchasing', 'finance', 'people'] -%}
{%- set event_models = [] -%}
{%- for domain in domains -%}{%- do event_models.append('int_metric_events_' ~ domain) -%}{%- endfor -%}
{#- incremental by changed month (macros/changed_months.sql): only the months whose events differ are rewritten -#}
{{ config(**changed_months_config(event_models)) }}

with

events as {{ cte_not_materialized() }} (

    {%- for event_model in event_models %}
    select * from {{ ref(event_model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

role_days as {{ cte_not_materialized() }} (

    select employee_id, day, department_id, manager_id from {{ ref('int_employee_role_days') }}

),

final as {{ cte_not_materialized() }} (

    select
        -- keys
        cast(events.metric as {{ dbt.type_string() }}) as metric,
        cast(events.month as date) as month,
        cast(events.source_table as {{ dbt.type_string() }}) as source_table,
        cast(events.source_key as {{ dbt.type_string() }}) as source_key,
        -- ids
        cast(events.employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(role_days.manager_id as {{ dbt.type_string() }}) as team_lead_id,
        cast(coalesce(events.department_id, role_days.department_id) as {{ dbt.type_string() }}) as department_id,
        -- numbers
        cast(events.numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(events.denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(events.prior_numerator as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(events.prior_denominator as {{ dbt.type_numeric() }}) as prior_denominator,
        cast(events.source_rows as {{ dbt.type_bigint() }}) as source_rows,
        -- dates
        cast(events.event_date as date) as event_date,
        -- when the dbt run that wrote the row started
        {{ built_at() }} as _built_at
    from events
    left join role_days
        on events.employee_id = role_days.employee_id
        and events.event_date = role_days.day
    where events.month is not null

)

{{ select_changed_months('final') }}
