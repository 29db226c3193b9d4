with

employees as (

    select employee_id, hire_date, termination_date from {{ ref('stg_hr__employees') }}

),

role_days as (

    select employee_id, day, department_function from {{ ref('int_employee_role_days') }}

),

requisitions as (

    select requisition_id, recruiter_id, role, status, opened_date, closed_date from {{ ref('stg_hr__requisitions') }}

),

candidates as (

    select candidate_id, requisition_id, hired_employee_id, offer_accepted_date from {{ ref('stg_hr__candidates') }}

),

trainings as (

    select training_id, employee_id, due_date, completed_date from {{ ref('stg_hr__trainings') }}

),

proposals as (

    select proposal_id, employee_id, submitted_date, decided_date from {{ ref('stg_hr__improvement_proposals') }}

),

surveys as (

    select response_id, respondent_employee_id, target_department_id, question, score, survey_date
    from {{ ref('stg_hr__surveys') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

calendar as (

    {{ date_spine('data_window.window_start', 'data_window.window_end', bounds_relation='data_window') }}

),

months as (

    select
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month,
        min(date_day) as first_day,
        max(date_day) as last_day
    from calendar
    group by cast({{ dbt.date_trunc('month', 'date_day') }} as date)

),

-- headcount flags per person and month: employed at the start (hired before the month and still there on its
-- first day), at the end (still there after the last day of the month, or of the window), hired in the month
employee_months as (

    select
        employees.employee_id,
        months.month,
        case when employees.hire_date > months.first_day then employees.hire_date else months.first_day end
            as first_employed_day,
        case
            when employees.hire_date < months.month
                and (employees.termination_date is null or employees.termination_date >= months.month) then 1
            else 0
        end as is_start,
        case
            when employees.hire_date <= months.last_day
                and (employees.termination_date is null or employees.termination_date > months.last_day) then 1
            else 0
        end as is_end,
        case when employees.hire_date >= months.month and employees.hire_date <= months.last_day then 1 else 0 end
            as is_new
    from employees
    inner join months
        on employees.hire_date <= months.last_day
        and (employees.termination_date is null or employees.termination_date >= months.month)

),

-- who recruited each hire (the requisition's recruiter), for the new-hire retention of recruiters
hires as (

    select
        employees.employee_id,
        employees.hire_date,
        employees.termination_date,
        min(requisitions.recruiter_id) as recruiter_id
    from employees
    left join candidates
        on employees.employee_id = candidates.hired_employee_id
    left join requisitions
        on candidates.requisition_id = requisitions.requisition_id
    group by employees.employee_id, employees.hire_date, employees.termination_date

),

-- cohorts at least 12 months old: judged in the month their first anniversary falls in
hire_anniversaries as (

    select
        hires.*,
        cast({{ dbt.dateadd('month', 12, 'hires.hire_date') }} as date) as anniversary_date
    from hires

),

filled_requisitions as (

    select
        requisitions.requisition_id,
        requisitions.recruiter_id,
        requisitions.opened_date,
        min(candidates.offer_accepted_date) as offer_accepted_date
    from requisitions
    inner join candidates
        on requisitions.requisition_id = candidates.requisition_id
    where candidates.offer_accepted_date is not null
    group by requisitions.requisition_id, requisitions.recruiter_id, requisitions.opened_date

),

survey_answers as (

    select
        surveys.*,
        role_days.department_function as respondent_function
    from surveys
    left join role_days
        on surveys.respondent_employee_id = role_days.employee_id
        and surveys.survey_date = role_days.day

),

headcount_retention as (

    select
        {{ metric_event("'headcount_retention'", "'stg_hr__employees'", 'employee_id',
            'first_employed_day', 'month', employee_id='employee_id',
            numerator='is_end - is_new', denominator='is_start') }}
    from employee_months

),

new_hire_retention_12m as (

    select
        {{ metric_event("'new_hire_retention_12m'", "'stg_hr__employees'", 'hire_anniversaries.employee_id',
            'hire_anniversaries.anniversary_date', dbt.date_trunc('month', 'hire_anniversaries.anniversary_date'),
            employee_id='hire_anniversaries.recruiter_id',
            numerator='case when hire_anniversaries.termination_date is null '
                ~ 'or hire_anniversaries.termination_date >= hire_anniversaries.anniversary_date then 1 else 0 end',
            denominator='1') }}
    from hire_anniversaries
    cross join data_window
    where hire_anniversaries.anniversary_date >= cast({{ dbt.date_trunc('month', 'data_window.window_start') }} as date)
        and hire_anniversaries.anniversary_date <= data_window.window_end

),

sales_hiring_fill_rate as (

    select
        {{ metric_event("'sales_hiring_fill_rate'", "'stg_hr__requisitions'", 'requisition_id',
            'closed_date', dbt.date_trunc('month', 'closed_date'), employee_id='recruiter_id',
            numerator="case when status = 'filled' then 1 else 0 end", denominator='1') }}
    from requisitions
    where role in ('sales_rep', 'sales_director')
        and status in ('filled', 'cancelled')
        and closed_date is not null

),

time_to_fill_days as (

    select
        {{ metric_event("'time_to_fill_days'", "'stg_hr__requisitions'", 'requisition_id',
            'offer_accepted_date', dbt.date_trunc('month', 'offer_accepted_date'), employee_id='recruiter_id',
            numerator=dbt.datediff('opened_date', 'offer_accepted_date', 'day'), denominator='1') }}
    from filled_requisitions

),

training_completion_rate as (

    select
        {{ metric_event("'training_completion_rate'", "'stg_hr__trainings'", 'training_id',
            'due_date', dbt.date_trunc('month', 'due_date'), employee_id='employee_id',
            numerator='case when completed_date <= due_date then 1 else 0 end', denominator='1') }}
    from trainings

),

improvement_proposals as (

    select
        {{ metric_event("'improvement_proposals'", "'stg_hr__improvement_proposals'", 'proposal_id',
            'submitted_date', dbt.date_trunc('month', 'submitted_date'), employee_id='employee_id',
            numerator='1') }}
    from proposals

),

office_process_efficiency as (

    select
        {{ metric_event("'office_process_efficiency'", "'stg_hr__improvement_proposals'", 'proposal_id',
            'submitted_date', dbt.date_trunc('month', 'submitted_date'),
            numerator='case when decided_date <= '
                ~ dbt.dateadd('day', var('office_process_days'), 'submitted_date') ~ ' then 1 else 0 end',
            denominator='1') }}
    from proposals

),

sales_team_satisfaction as (

    select
        {{ metric_event("'sales_team_satisfaction'", "'stg_hr__surveys'", 'response_id',
            'survey_date', dbt.date_trunc('month', 'survey_date'), department_id='target_department_id',
            numerator='score', denominator='1') }}
    from survey_answers
    where respondent_function = 'sales'

),

sales_support_satisfaction as (

    select
        {{ metric_event("'sales_support_satisfaction'", "'stg_hr__surveys'", 'response_id',
            'survey_date', dbt.date_trunc('month', 'survey_date'), department_id='target_department_id',
            numerator='score', denominator='1') }}
    from survey_answers
    where question = 'sales_support'

),

cross_department_collaboration as (

    select
        {{ metric_event("'cross_department_collaboration'", "'stg_hr__surveys'", 'response_id',
            'survey_date', dbt.date_trunc('month', 'survey_date'), department_id='target_department_id',
            numerator='score', denominator='1') }}
    from survey_answers
    where question = 'collaboration'

),

final as (

    select * from headcount_retention
    union all
    select * from new_hire_retention_12m
    union all
    select * from sales_hiring_fill_rate
    union all
    select * from time_to_fill_days
    union all
    select * from training_completion_rate
    union all
    select * from improvement_proposals
    union all
    select * from office_process_efficiency
    union all
    select * from sales_team_satisfaction
    union all
    select * from sales_support_satisfaction
    union all
    select * from cross_department_collaboration

)

select * from final
