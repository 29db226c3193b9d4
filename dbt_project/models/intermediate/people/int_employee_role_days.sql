with

job_assignments as (

    select * from {{ ref('stg_hr__job_assignments') }}

),

employees as (

    select employee_id, termination_date from {{ ref('stg_hr__employees') }}

),

departments as (

    select department_id, department_function from {{ ref('stg_hr__departments') }}

),

data_window as (

    select window_start, window_end from {{ ref('int_data_window') }}

),

calendar as (

    {{ date_spine('data_window.window_start', 'data_window.window_end', bounds_relation='data_window') }}

),

-- last day of each assignment: its valid_to, cut at the termination date; null runs to the window end
assignment_ranges as (

    select
        job_assignments.assignment_id,
        job_assignments.employee_id,
        job_assignments.department_id,
        job_assignments.manager_id,
        job_assignments.mentor_id,
        job_assignments.role,
        job_assignments.region,
        job_assignments.grade,
        job_assignments.is_mentor,
        job_assignments.valid_from,
        case
            when job_assignments.valid_to is null then employees.termination_date
            when employees.termination_date is null then job_assignments.valid_to
            when employees.termination_date < job_assignments.valid_to then employees.termination_date
            else job_assignments.valid_to
        end as valid_through
    from job_assignments
    left join employees
        on job_assignments.employee_id = employees.employee_id

),

assignment_days as (

    select
        assignment_ranges.*,
        calendar.date_day
    from assignment_ranges
    inner join calendar
        on calendar.date_day >= assignment_ranges.valid_from
        and (assignment_ranges.valid_through is null or calendar.date_day <= assignment_ranges.valid_through)

),

-- overlapping assignments (a data error) resolve to the one that started last, so the grain holds
ranked as (

    select
        assignment_days.*,
        row_number() over (
            partition by employee_id, date_day
            order by valid_from desc, assignment_id desc
        ) as assignment_rank
    from assignment_days

),

final as (

    select
        ranked.employee_id,
        ranked.date_day as day,
        cast({{ dbt.date_trunc('month', 'ranked.date_day') }} as date) as month,
        ranked.assignment_id,
        ranked.department_id,
        ranked.manager_id,
        ranked.mentor_id,
        departments.department_function,
        ranked.role,
        ranked.region,
        ranked.grade,
        ranked.is_mentor
    from ranked
    left join departments
        on ranked.department_id = departments.department_id
    where ranked.assignment_rank = 1

)

select * from final
