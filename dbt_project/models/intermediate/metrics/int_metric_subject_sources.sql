with

-- events summed per person, team lead, department, month and source first: a month's events are millions of
-- rows (one per order line), the people and departments they belong to a few thousand; every subject below is
-- one of these columns, so its sums are the sums of these partial sums (exact: the numbers are decimals)
events as (

    select
        metric,
        month,
        source_table,
        employee_id,
        team_lead_id,
        department_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(prior_numerator) as prior_numerator,
        sum(prior_denominator) as prior_denominator,
        sum(source_rows) as source_rows,
        count(*) as event_count
    from {{ ref('fct_metric_events') }}
    group by metric, month, source_table, employee_id, team_lead_id, department_id

),

-- people who lead a team in a month: someone reported to them on at least one day of it
team_leads as (

    select distinct manager_id as team_lead_id, month
    from {{ ref('int_employee_role_days') }}
    where manager_id is not null

),

subject_events as (

    select 'person' as subject_type, employee_id as subject_id, events.*
    from events
    where employee_id is not null

    union all

    -- a team is its lead and the people who reported to the lead on the day of the event
    select 'team' as subject_type, team_lead_id as subject_id, events.*
    from events
    where team_lead_id is not null

    union all

    select 'team' as subject_type, events.employee_id as subject_id, events.*
    from events
    inner join team_leads
        on events.employee_id = team_leads.team_lead_id
        and events.month = team_leads.month

    union all

    select 'department' as subject_type, department_id as subject_id, events.*
    from events
    where department_id is not null

    union all

    select 'company' as subject_type, 'company' as subject_id, events.*
    from events

),

final as (

    select
        -- keys
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(subject_type as {{ dbt.type_string() }}) as subject_type,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(month as date) as month,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        -- numbers
        cast(sum(numerator) as {{ dbt.type_numeric() }}) as numerator,
        cast(sum(denominator) as {{ dbt.type_numeric() }}) as denominator,
        cast(sum(prior_numerator) as {{ dbt.type_numeric() }}) as prior_numerator,
        cast(sum(prior_denominator) as {{ dbt.type_numeric() }}) as prior_denominator,
        cast(sum(source_rows) as {{ dbt.type_bigint() }}) as source_row_count,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count
    from subject_events
    group by metric, subject_type, subject_id, month, source_table

)

select * from final
