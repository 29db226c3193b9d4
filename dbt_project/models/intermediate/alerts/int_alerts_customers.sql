{%- set rule = 'new_customer_not_followed_up' -%}
-- new_customer_not_followed_up: a customer created in the data window whose first contact (a CRM activity by
-- anyone, on or after the creation) came more than `threshold` days after the creation, or has not come and the
-- deadline has passed by the end of the window's last day. A contact at exactly the deadline is in time (as in
-- the KPI new_customer_follow_up_rate). Value: days from the creation to the first contact (else to the end of
-- the window); the alert became true on the deadline's day.
with

customers as (

    -- one row per customer with its first contact on or after the creation (shared with the follow-up KPI)
    select customer_id, owner_employee_id, created_at, first_contact_at from {{ ref('int_customer_first_contacts') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

new_customers as (

    select
        customers.customer_id,
        customers.owner_employee_id,
        customers.created_at,
        customers.first_contact_at,
        data_window.window_end,
        {{ dbt.dateadd('day', alert_setting(rule, 'threshold'), 'customers.created_at') }} as deadline_at,
        -- the end of the window's last day
        cast({{ dbt.dateadd('day', 1, 'data_window.window_end') }} as {{ dbt.type_timestamp() }}) as as_of_at
    from customers
    cross join data_window
    where cast(customers.created_at as date) >= data_window.window_start
        and cast(customers.created_at as date) <= data_window.window_end

),

late as (

    select
        new_customers.*,
        {{ divide(dbt.datediff('created_at', 'coalesce(first_contact_at, as_of_at)', 'second'), 86400) }} as waited_days
    from new_customers
    where (first_contact_at is null and deadline_at < as_of_at)
        or first_contact_at > deadline_at

),

final as (

    select
        -- keys
        '{{ rule }}' as rule,
        'customer' as subject_type,
        customer_id as subject_id,
        -- the customer's creation day
        cast(cast(created_at as date) as {{ dbt.type_string() }}) as about,
        -- people
        owner_employee_id as primary_employee_id,
        owner_employee_id as responsible_employee_ids,
        -- numbers
        cast(waited_days as {{ dbt.type_numeric() }}) as measured_value,
        cast({{ alert_setting(rule, 'threshold') }} as {{ dbt.type_numeric() }}) as threshold_value,
        'days' as unit,
        case
            when first_contact_at is null then 'no contact yet'
            else 'first contact late'
        end as detail,
        -- dates
        cast(deadline_at as date) as became_true_date,
        coalesce(cast(first_contact_at as date), window_end) as last_true_date,
        first_contact_at is null as is_current
    from late

)

select * from final
