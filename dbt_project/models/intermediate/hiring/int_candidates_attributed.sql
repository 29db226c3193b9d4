with

candidates as (

    select candidate_id, requisition_id, stage, applied_date, offer_date, offer_accepted_date
    from {{ ref('stg_hr__candidates') }}

),

requisitions as (

    select requisition_id, department_id, role, recruiter_id from {{ ref('stg_hr__requisitions') }}

),

job_assignments as (

    select employee_id, department_id, valid_from, valid_to from {{ ref('stg_hr__job_assignments') }}

),

-- the requisition's hiring department, role and recruiter, and the furthest funnel stage the candidate reached:
-- rejected and withdrawn candidates are recorded with their outcome instead of their last stage, so they count as
-- having reached the application only, or the offer when an offer date is recorded
with_requisitions as (

    select
        candidates.candidate_id,
        candidates.requisition_id,
        requisitions.department_id as hiring_department_id,
        requisitions.role,
        requisitions.recruiter_id,
        candidates.stage as current_stage,
        case
            when candidates.stage = 'hired' then 5
            when candidates.stage = 'offered' or candidates.offer_date is not null then 4
            when candidates.stage = 'interviewed' then 3
            when candidates.stage = 'screened' then 2
            else 1
        end as furthest_stage_order,
        case when candidates.stage in ('rejected', 'withdrawn') then 1 else 0 end as is_dropped,
        candidates.applied_date,
        candidates.offer_date,
        candidates.offer_accepted_date
    from candidates
    left join requisitions
        on candidates.requisition_id = requisitions.requisition_id

),

-- the recruiter's own department on the day the candidate applied (their job assignment that day)
recruiter_departments as (

    select
        with_requisitions.candidate_id,
        min(job_assignments.department_id) as recruiter_department_id
    from with_requisitions
    inner join job_assignments
        on with_requisitions.recruiter_id = job_assignments.employee_id
        and job_assignments.valid_from <= with_requisitions.applied_date
        and (job_assignments.valid_to is null or job_assignments.valid_to >= with_requisitions.applied_date)
    group by with_requisitions.candidate_id

),

final as (

    select
        -- keys
        cast(with_requisitions.candidate_id as {{ dbt.type_string() }}) as candidate_id,
        -- ids
        cast(with_requisitions.requisition_id as {{ dbt.type_string() }}) as requisition_id,
        cast(coalesce(with_requisitions.hiring_department_id, 'unknown') as {{ dbt.type_string() }})
            as hiring_department_id,
        cast(coalesce(with_requisitions.recruiter_id, 'unassigned') as {{ dbt.type_string() }}) as recruiter_id,
        cast(
            case
                when with_requisitions.recruiter_id is null then 'unassigned'
                else coalesce(recruiter_departments.recruiter_department_id, 'unknown')
            end
        as {{ dbt.type_string() }}) as recruiter_department_id,
        -- strings
        cast(coalesce(with_requisitions.role, 'unknown') as {{ dbt.type_string() }}) as role,
        cast(with_requisitions.current_stage as {{ dbt.type_string() }}) as current_stage,
        -- numbers
        cast(with_requisitions.furthest_stage_order as {{ dbt.type_bigint() }}) as furthest_stage_order,
        -- booleans
        with_requisitions.is_dropped = 1 as is_dropped,
        -- dates
        cast({{ dbt.date_trunc('month', 'with_requisitions.applied_date') }} as date) as application_month,
        cast(with_requisitions.applied_date as date) as applied_date,
        cast(with_requisitions.offer_date as date) as offer_date,
        cast(with_requisitions.offer_accepted_date as date) as offer_accepted_date
    from with_requisitions
    left join recruiter_departments
        on with_requisitions.candidate_id = recruiter_departments.candidate_id

)

select * from final
