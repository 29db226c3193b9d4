-- Every candidate is counted once at the stage they stopped at: per group, the candidates still at a stage and those
-- dropped there sum over the stages to the applicants; nobody enters a stage without entering the one before; every
-- candidate of the intermediate model is an applicant of the funnel. Returns the groups that break any of these.
with

funnel as (

    select * from {{ ref('fct_hiring_funnel_months') }}

),

candidates as (

    select count(*) as candidates from {{ ref('int_candidates_attributed') }}

),

groups as (

    select
        application_month,
        hiring_department_id,
        role,
        recruiter_id,
        recruiter_department_id,
        sum(case when stage_order = 1 then candidates_entered else 0 end) as applicants,
        sum(candidates_at_stage + candidates_dropped) as settled,
        count(*) as stages
    from funnel
    group by application_month, hiring_department_id, role, recruiter_id, recruiter_department_id

),

growing as (

    select
        later.application_month,
        later.hiring_department_id,
        later.role,
        later.recruiter_id,
        later.recruiter_department_id
    from funnel as later
    inner join funnel as earlier
        on later.application_month = earlier.application_month
        and later.hiring_department_id = earlier.hiring_department_id
        and later.role = earlier.role
        and later.recruiter_id = earlier.recruiter_id
        and later.recruiter_department_id = earlier.recruiter_department_id
        and later.stage_order = earlier.stage_order + 1
    where later.candidates_entered > earlier.candidates_entered

)

select application_month, hiring_department_id, role, recruiter_id, recruiter_department_id
from groups
where applicants <> settled or stages <> 5
union all
select application_month, hiring_department_id, role, recruiter_id, recruiter_department_id
from growing
union all
select null, null, null, null, null
from candidates
where candidates.candidates <> (select coalesce(sum(applicants), 0) from groups)
