-- One row per CRM customer with the first contact on or after its creation (a CRM activity by anyone). The one
-- definition of "first contact" read by the follow-up KPI (int_metric_events_customers) and the follow-up alert
-- (int_alerts_customers), so the two cannot disagree. An activity before the creation does not count.
with

customers as (

    select customer_id, owner_employee_id, channel, created_at from {{ ref('stg_crm__customers') }}

),

activities as (

    select customer_id, started_at from {{ ref('stg_crm__activities') }}

),

first_contacts as (

    select
        customers.customer_id,
        min(activities.started_at) as first_contact_at
    from customers
    inner join activities
        on customers.customer_id = activities.customer_id
        and activities.started_at >= customers.created_at
    group by customers.customer_id

),

final as (

    select
        customers.customer_id,
        customers.owner_employee_id,
        customers.channel,
        customers.created_at,
        first_contacts.first_contact_at
    from customers
    left join first_contacts
        on customers.customer_id = first_contacts.customer_id

)

select * from final
