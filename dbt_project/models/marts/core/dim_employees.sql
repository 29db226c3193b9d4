with

employees as (

    select * from {{ ref('stg_hr__employees') }}

),

job_assignments as (

    select * from {{ ref('stg_hr__job_assignments') }}

),

departments as (

    select department_id, department_name, department_function from {{ ref('stg_hr__departments') }}

),

data_window as (

    select window_end from {{ ref('int_data_window') }}

),

-- the latest assignment that has started by the end of the data window
ranked_assignments as (

    select
        job_assignments.*,
        row_number() over (
            partition by job_assignments.employee_id
            order by job_assignments.valid_from desc, job_assignments.assignment_id desc
        ) as assignment_rank
    from job_assignments
    cross join data_window
    where data_window.window_end is null
        or job_assignments.valid_from <= data_window.window_end

),

current_assignments as (

    select * from ranked_assignments where assignment_rank = 1

),

final as (

    select
        -- ids
        cast(employees.employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(current_assignments.assignment_id as {{ dbt.type_string() }}) as assignment_id,
        cast(current_assignments.department_id as {{ dbt.type_string() }}) as department_id,
        cast(current_assignments.manager_id as {{ dbt.type_string() }}) as manager_id,
        -- strings
        cast(employees.full_name as {{ dbt.type_string() }}) as full_name,
        cast(departments.department_name as {{ dbt.type_string() }}) as department_name,
        cast(departments.department_function as {{ dbt.type_string() }}) as department_function,
        cast(current_assignments.role as {{ dbt.type_string() }}) as role,
        cast(current_assignments.region as {{ dbt.type_string() }}) as region,
        cast(current_assignments.grade as {{ dbt.type_string() }}) as grade,
        cast(employees.country as {{ dbt.type_string() }}) as country,
        cast(employees.timezone as {{ dbt.type_string() }}) as timezone,
        cast(employees.termination_reason as {{ dbt.type_string() }}) as termination_reason,
        -- booleans
        cast(
            case
                when employees.termination_date is null then true
                when data_window.window_end is null then false
                when employees.termination_date >= data_window.window_end then true
                else false
            end
        as {{ dbt.type_boolean() }}) as is_active,
        cast(current_assignments.is_mentor as {{ dbt.type_boolean() }}) as is_mentor,
        -- dates
        cast(employees.hire_date as date) as hire_date,
        cast(employees.termination_date as date) as termination_date,
        cast(current_assignments.valid_from as date) as assignment_valid_from,
        cast(data_window.window_end as date) as as_of_date
    from employees
    cross join data_window
    left join current_assignments
        on employees.employee_id = current_assignments.employee_id
    left join departments
        on current_assignments.department_id = departments.department_id

)

select * from final
