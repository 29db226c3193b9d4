with

customers as (

    select customer_id, owner_employee_id, channel, created_at from {{ ref('stg_crm__customers') }}

),

activities as (

    select activity_id, employee_id, customer_id, started_at from {{ ref('stg_crm__activities') }}

),

inquiries as (

    select inquiry_id, assignee_employee_id, received_at, first_response_at from {{ ref('stg_crm__inquiries') }}

),

opportunities as (

    select opportunity_id, owner_employee_id, stage, closed_date from {{ ref('stg_crm__opportunities') }}

),

satisfaction_responses as (

    select response_id, employee_id, score, responded_at from {{ ref('stg_crm__satisfaction_responses') }}

),

-- first contact with each customer on or after its creation, by anyone (the same definition as the alert)
first_contacts as (

    select customer_id, first_contact_at from {{ ref('int_customer_first_contacts') }}

),

new_customers as (

    select
        {{ metric_event("'new_customers'", "'stg_crm__customers'", 'customer_id',
            'created_at', dbt.date_trunc('month', 'created_at'), employee_id='owner_employee_id',
            numerator='1') }}
    from customers

),

new_offline_channels as (

    select
        {{ metric_event("'new_offline_channels'", "'stg_crm__customers'", 'customer_id',
            'created_at', dbt.date_trunc('month', 'created_at'), employee_id='owner_employee_id',
            numerator='1') }}
    from customers
    where channel = 'offline'

),

new_customer_follow_up_rate as (

    select
        {{ metric_event("'new_customer_follow_up_rate'", "'stg_crm__customers'", 'customers.customer_id',
            'customers.created_at', dbt.date_trunc('month', 'customers.created_at'),
            employee_id='customers.owner_employee_id',
            numerator='case when first_contacts.first_contact_at <= '
                ~ dbt.dateadd('day', var('new_customer_follow_up_days'), 'customers.created_at')
                ~ ' then 1 else 0 end',
            denominator='1') }}
    from customers
    left join first_contacts
        on customers.customer_id = first_contacts.customer_id

),

follow_up_count as (

    select
        {{ metric_event("'follow_up_count'", "'stg_crm__activities'", 'activity_id',
            'started_at', dbt.date_trunc('month', 'started_at'), employee_id='employee_id', numerator='1') }}
    from activities

),

inquiry_response_rate as (

    select
        {{ metric_event("'inquiry_response_rate'", "'stg_crm__inquiries'", 'inquiry_id',
            'received_at', dbt.date_trunc('month', 'received_at'), employee_id='assignee_employee_id',
            numerator='case when first_response_at <= '
                ~ dbt.dateadd('hour', var('inquiry_response_hours'), 'received_at') ~ ' then 1 else 0 end',
            denominator='1') }}
    from inquiries

),

inquiry_response_hours as (

    select
        {{ metric_event("'inquiry_response_hours'", "'stg_crm__inquiries'", 'inquiry_id',
            'received_at', dbt.date_trunc('month', 'received_at'), employee_id='assignee_employee_id',
            numerator=minutes_between('received_at', 'first_response_at') ~ ' / 60.0',
            denominator='1') }}
    from inquiries
    where first_response_at is not null

),

opportunity_win_rate as (

    select
        {{ metric_event("'opportunity_win_rate'", "'stg_crm__opportunities'", 'opportunity_id',
            'closed_date', dbt.date_trunc('month', 'closed_date'), employee_id='owner_employee_id',
            numerator="case when stage = 'closed_won' then 1 else 0 end", denominator='1') }}
    from opportunities
    where stage in ('closed_won', 'closed_lost')
        and closed_date is not null

),

customer_satisfaction as (

    select
        {{ metric_event("'customer_satisfaction'", "'stg_crm__satisfaction_responses'", 'response_id',
            'responded_at', dbt.date_trunc('month', 'responded_at'), employee_id='employee_id',
            numerator='score', denominator='1') }}
    from satisfaction_responses

),

net_promoter_score as (

    select
        {{ metric_event("'net_promoter_score'", "'stg_crm__satisfaction_responses'", 'response_id',
            'responded_at', dbt.date_trunc('month', 'responded_at'), employee_id='employee_id',
            numerator='case when score >= 9 then 1 when score <= 6 then -1 else 0 end', denominator='1') }}
    from satisfaction_responses

),

final as (

    select * from new_customers
    union all
    select * from new_offline_channels
    union all
    select * from new_customer_follow_up_rate
    union all
    select * from follow_up_count
    union all
    select * from inquiry_response_rate
    union all
    select * from inquiry_response_hours
    union all
    select * from opportunity_win_rate
    union all
    select * from customer_satisfaction
    union all
    select * from net_promoter_score

)

select * from final
