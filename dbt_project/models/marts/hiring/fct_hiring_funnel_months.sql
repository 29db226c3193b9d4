{%- set group_columns = ['application_month', 'hiring_department_id', 'role', 'recruiter_id',
                         'recruiter_department_id'] -%}

with

candidates as (

    select * from {{ ref('int_candidates_attributed') }}

),

-- the funnel's stages in order; rejected and withdrawn are outcomes, not stages (int_candidates_attributed)
stages as (

    select cast('applied' as {{ dbt.type_string() }}) as stage, 1 as stage_order
    union all
    select cast('screened' as {{ dbt.type_string() }}) as stage, 2 as stage_order
    union all
    select cast('interviewed' as {{ dbt.type_string() }}) as stage, 3 as stage_order
    union all
    select cast('offered' as {{ dbt.type_string() }}) as stage, 4 as stage_order
    union all
    select cast('hired' as {{ dbt.type_string() }}) as stage, 5 as stage_order

),

-- every stage of every group with an applicant, so a stage nobody reached shows 0 (and a conversion of 0)
group_stages as (

    select
        {%- for column in group_columns %}
        grouped.{{ column }},
        {%- endfor %}
        stages.stage,
        stages.stage_order
    from (
        select distinct {{ group_columns | join(', ') }} from candidates
    ) as grouped
    cross join stages

),

-- one row per candidate and stage reached; the day of entry is recorded for the application (applied_date), the
-- offer (offer_date) and the hire (offer_accepted_date), not for screening and interview
candidate_stages as (

    select
        {%- for column in group_columns %}
        candidates.{{ column }},
        {%- endfor %}
        candidates.candidate_id,
        stages.stage_order,
        case when candidates.furthest_stage_order = stages.stage_order and not candidates.is_dropped then 1 else 0 end
            as is_at_stage,
        case when candidates.furthest_stage_order = stages.stage_order and candidates.is_dropped then 1 else 0 end
            as is_dropped_here,
        case
            when stages.stage_order = 1 then 0
            when stages.stage_order = 4 and candidates.offer_date is not null then
                {{ dbt.datediff('candidates.applied_date', 'candidates.offer_date', 'day') }}
            when stages.stage_order = 5 and candidates.offer_accepted_date is not null then
                {{ dbt.datediff('candidates.applied_date', 'candidates.offer_accepted_date', 'day') }}
        end as days_from_application,
        -- days in the offer stage: from the offer to its acceptance, for candidates who were hired
        case
            when stages.stage_order = 4 and candidates.furthest_stage_order = 5
                and candidates.offer_date is not null and candidates.offer_accepted_date is not null then
                {{ dbt.datediff('candidates.offer_date', 'candidates.offer_accepted_date', 'day') }}
        end as days_in_stage
    from candidates
    inner join stages
        on stages.stage_order <= candidates.furthest_stage_order

),

counted as (

    select
        {%- for column in group_columns %}
        group_stages.{{ column }},
        {%- endfor %}
        group_stages.stage,
        group_stages.stage_order,
        count(candidate_stages.candidate_id) as candidates_entered,
        coalesce(sum(candidate_stages.is_at_stage), 0) as candidates_at_stage,
        coalesce(sum(candidate_stages.is_dropped_here), 0) as candidates_dropped,
        count(candidate_stages.days_from_application) as entries_dated,
        sum(candidate_stages.days_from_application) as days_from_application,
        {{ median('candidate_stages.days_from_application') }} as median_days_from_application,
        count(candidate_stages.days_in_stage) as stays_dated,
        sum(candidate_stages.days_in_stage) as days_in_stage,
        {{ median('candidate_stages.days_in_stage') }} as median_days_in_stage
    from group_stages
    left join candidate_stages
        on
        {%- for column in group_columns %}
        group_stages.{{ column }} = candidate_stages.{{ column }} and
        {%- endfor %}
        group_stages.stage_order = candidate_stages.stage_order
    group by
        {%- for column in group_columns %}
        group_stages.{{ column }},
        {%- endfor %}
        group_stages.stage,
        group_stages.stage_order

),

with_previous as (

    select
        counted.*,
        lag(counted.candidates_entered) over (
            partition by {{ group_columns | join(', ') }} order by counted.stage_order
        ) as previous_entered,
        first_value(counted.candidates_entered) over (
            partition by {{ group_columns | join(', ') }} order by counted.stage_order
        ) as applicants
    from counted

),

final as (

    select
        -- keys
        cast(application_month as date) as application_month,
        cast(hiring_department_id as {{ dbt.type_string() }}) as hiring_department_id,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(recruiter_id as {{ dbt.type_string() }}) as recruiter_id,
        cast(recruiter_department_id as {{ dbt.type_string() }}) as recruiter_department_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        -- numbers
        cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
        cast(candidates_entered as {{ dbt.type_bigint() }}) as candidates_entered,
        cast(candidates_at_stage as {{ dbt.type_bigint() }}) as candidates_at_stage,
        cast(candidates_dropped as {{ dbt.type_bigint() }}) as candidates_dropped,
        cast({{ divide('candidates_entered', 'previous_entered') }} as {{ dbt.type_numeric() }})
            as conversion_from_previous,
        cast({{ divide('candidates_entered', 'applicants') }} as {{ dbt.type_numeric() }}) as share_of_applicants,
        cast({{ divide('days_from_application', 'entries_dated') }} as {{ dbt.type_numeric() }})
            as avg_days_from_application,
        cast(median_days_from_application as {{ dbt.type_numeric() }}) as median_days_from_application,
        cast(stays_dated as {{ dbt.type_bigint() }}) as stays_dated,
        cast({{ divide('days_in_stage', 'stays_dated') }} as {{ dbt.type_numeric() }}) as avg_days_in_stage,
        cast(median_days_in_stage as {{ dbt.type_numeric() }}) as median_days_in_stage
    from with_previous

)

select * from final
