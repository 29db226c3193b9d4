with

role_days as (

    select * from {{ ref('int_employee_role_days') }}

),

employees as (

    select employee_id, hire_date from {{ ref('stg_hr__employees') }}

),

versions as (

    select * from {{ ref('stg_config__scorecard_versions') }}

),

variants as (

    select distinct scorecard, version, role, region, tenure_band from {{ ref('stg_config__scorecard_kpis') }}

),

-- the version in force on each day (the first version also covers the days before it)
versioned as (

    select
        role_days.*,
        employees.hire_date,
        versions.scorecard,
        versions.version as scorecard_version,
        case
            when employees.hire_date is not null
                and role_days.day < {{ dbt.dateadd('month', 'versions.new_hire_months', 'employees.hire_date') }}
                then true
            else false
        end as is_new_hire
    from role_days
    left join employees
        on role_days.employee_id = employees.employee_id
    inner join versions
        on (versions.effective_from <= role_days.day or versions.is_first_version)
        and (versions.effective_to is null or role_days.day <= versions.effective_to)

),

-- new-hire KPIs in the protection period when the role has them; else the region's; else the role's
resolved as (

    select
        versioned.*,
        case when new_hire_variants.role is not null then 'new_hire' else 'all' end as tenure_band,
        case when new_hire_variants.role is null then region_variants.region end as variant_region
    from versioned
    left join variants as new_hire_variants
        on versioned.is_new_hire
        and new_hire_variants.scorecard = versioned.scorecard
        and new_hire_variants.version = versioned.scorecard_version
        and new_hire_variants.role = versioned.role
        and new_hire_variants.tenure_band = 'new_hire'
    left join variants as region_variants
        on region_variants.scorecard = versioned.scorecard
        and region_variants.version = versioned.scorecard_version
        and region_variants.role = versioned.role
        and region_variants.region = versioned.region
        and region_variants.tenure_band = 'all'

),

final as (

    select
        -- keys
        resolved.employee_id,
        resolved.day,
        -- ids
        resolved.assignment_id,
        resolved.department_id,
        resolved.manager_id,
        resolved.mentor_id,
        -- strings
        resolved.role,
        resolved.region,
        resolved.scorecard,
        resolved.scorecard_version,
        resolved.tenure_band,
        resolved.variant_region,
        -- booleans
        resolved.is_new_hire,
        -- dates
        resolved.month,
        resolved.hire_date
    from resolved
    -- only roles the scorecard scores (the loader requires every contract role)
    inner join (select distinct scorecard, version, role from variants) as scored_roles
        on resolved.scorecard = scored_roles.scorecard
        and resolved.scorecard_version = scored_roles.version
        and resolved.role = scored_roles.role

)

select * from final
