-- Alerts: one row per rule, subject and the period or date it is about (config/alerts.yml via var alerts). The
-- alert_id 'rule:subject:about' is stable across runs: more data changes an alert's value and last_true_date, never
-- its id, so the delivery (orchestration/alerts.py) sends each alert exactly once.
{%- set rules = ['days_of_inventory_over_threshold', 'new_customer_not_followed_up', 'supply_late',
    'new_product_stock_over_days_of_sales', 'stock_over_days_of_sales'] %}
{%- set enabled = [] %}
{%- for rule in rules %}{% if alert_setting(rule, 'enabled') %}{% do enabled.append(rule) %}{% endif %}{% endfor %}
with

stock_alerts as (

    select * from {{ ref('int_alerts_stock') }}

),

customer_alerts as (

    select * from {{ ref('int_alerts_customers') }}

),

supply_alerts as (

    select * from {{ ref('int_alerts_supply') }}

),

data_window as (

    select window_end from {{ ref('int_data_window') }}

),

unioned as (

    select
        rule, subject_type, subject_id, about, primary_employee_id, responsible_employee_ids, measured_value,
        threshold_value, unit, detail, became_true_date, last_true_date, is_current
    from stock_alerts
    union all
    select
        rule, subject_type, subject_id, about, primary_employee_id, responsible_employee_ids, measured_value,
        threshold_value, unit, detail, became_true_date, last_true_date, is_current
    from customer_alerts
    union all
    select
        rule, subject_type, subject_id, about, primary_employee_id, responsible_employee_ids, measured_value,
        threshold_value, unit, detail, became_true_date, last_true_date, is_current
    from supply_alerts

),

final as (

    select
        -- keys
        cast(unioned.rule || ':' || unioned.subject_id || ':' || unioned.about as {{ dbt.type_string() }}) as alert_id,
        -- strings
        cast(unioned.rule as {{ dbt.type_string() }}) as rule,
        cast(
            case unioned.rule
                {%- for rule in rules %}
                when '{{ rule }}' then '{{ alert_setting(rule, "severity") }}'
                {%- endfor %}
            end
        as {{ dbt.type_string() }}) as severity,
        cast(unioned.subject_type as {{ dbt.type_string() }}) as subject_type,
        cast(unioned.subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(unioned.about as {{ dbt.type_string() }}) as about,
        cast(unioned.primary_employee_id as {{ dbt.type_string() }}) as primary_employee_id,
        cast(unioned.responsible_employee_ids as {{ dbt.type_string() }}) as responsible_employee_ids,
        cast(unioned.detail as {{ dbt.type_string() }}) as detail,
        cast(unioned.unit as {{ dbt.type_string() }}) as unit,
        -- numbers
        cast(unioned.measured_value as {{ dbt.type_numeric() }}) as measured_value,
        cast(unioned.threshold_value as {{ dbt.type_numeric() }}) as threshold_value,
        -- booleans
        unioned.is_current,
        -- dates
        unioned.became_true_date,
        unioned.last_true_date,
        data_window.window_end as as_of_date
    from unioned
    cross join data_window
    where unioned.rule in ({% for rule in enabled %}'{{ rule }}'{% if not loop.last %}, {% endif %}{% endfor %}
        {%- if not enabled %}''{% endif %})

)

select * from final
