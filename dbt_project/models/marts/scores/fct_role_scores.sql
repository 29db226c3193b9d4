{%- set perspectives = ['financial', 'customer', 'process', 'learning'] -%}

with

kpi_scores as (

    select * from {{ ref('fct_kpi_scores') }}

),

segments as (

    select * from {{ ref('int_score_segments') }}

),

team_bonus as (

    select * from {{ ref('int_team_bonus_points') }}

),

versions as (

    select scorecard, version, mentor_share_pct from {{ ref('stg_config__scorecard_versions') }}

),

period_months as (

    select * from {{ ref('int_score_period_months') }}

),

role_days as (

    select employee_id, month, mentor_id from {{ ref('int_employee_role_days') }}

),

-- each segment's weighted score: sum(weight x score) / sum(counted weight), split by perspective
segment_scores as (

    select
        employee_id,
        period_type,
        period_start,
        segment_id,
        max(segment_days) as segment_days,
        sum(case when is_counted then weight else 0 end) as counted_weight,
        sum(case when is_counted then weight * coalesce(score, 0) else 0 end) as weighted_points,
        {%- for p in perspectives %}
        sum(case when is_counted and bsc_perspective = '{{ p }}' then weight * coalesce(score, 0) else 0 end)
            as {{ p }}_points,
        {%- endfor %}
        sum(case when score_status = 'scored' then 1 else 0 end) as kpis_scored,
        count(*) as kpis_total
    from kpi_scores
    group by employee_id, period_type, period_start, segment_id

),

-- segments combined by days in role: sum(days x segment score) / days of the scored segments
own_scores as (

    select
        employee_id,
        period_type,
        period_start,
        sum(case when counted_weight > 0 then segment_days else 0 end) as scored_days,
        sum(
            case when counted_weight > 0 then
                {{ divide('segment_days * weighted_points', 'counted_weight') }}
            else 0 end
        ) as day_points,
        {%- for p in perspectives %}
        sum(
            case when counted_weight > 0 then
                {{ divide('segment_days * ' ~ p ~ '_points', 'counted_weight') }}
            else 0 end
        ) as {{ p }}_day_points,
        {%- endfor %}
        sum(kpis_scored) as kpis_scored,
        sum(kpis_total) as kpis_total
    from segment_scores
    group by employee_id, period_type, period_start

),

periods as (

    select
        segments.employee_id,
        segments.period_type,
        segments.period_start,
        max(segments.period) as period,
        max(segments.period_end) as period_end,
        sum(segments.segment_days) as role_days,
        count(*) as segment_count,
        count(distinct segments.scorecard_version) as version_count,
        max(case when segments.is_latest then segments.scorecard end) as scorecard,
        max(case when segments.is_latest then segments.scorecard_version end) as scorecard_version,
        max(case when segments.is_latest then segments.role end) as role,
        max(case when segments.is_latest then segments.region end) as region,
        max(case when segments.is_latest then segments.department_id end) as department_id,
        max(case when segments.is_latest then segments.tenure_band end) as tenure_band,
        min(segments.first_day) as first_day,
        max(segments.last_day) as last_day
    from segments
    group by segments.employee_id, segments.period_type, segments.period_start

),

own as (

    select
        periods.*,
        own_scores.scored_days,
        own_scores.kpis_scored,
        own_scores.kpis_total,
        case when own_scores.scored_days > 0 then
            {{ divide('own_scores.day_points', 'own_scores.scored_days') }}
        end as own_kpi_score,
        {%- for p in perspectives %}
        case when own_scores.scored_days > 0 then
            {{ divide('own_scores.' ~ p ~ '_day_points', 'own_scores.scored_days') }}
        end as {{ p }}_score,
        {%- endfor %}
        versions.mentor_share_pct
    from periods
    left join own_scores
        on periods.employee_id = own_scores.employee_id
        and periods.period_type = own_scores.period_type
        and periods.period_start = own_scores.period_start
    left join versions
        on periods.scorecard = versions.scorecard
        and periods.scorecard_version = versions.version

),

mentorships as (

    select
        role_days.mentor_id,
        role_days.employee_id as mentee_id,
        period_months.period_type,
        period_months.period_start,
        count(*) as mentored_days
    from role_days
    inner join period_months
        on role_days.month = period_months.month
    where role_days.mentor_id is not null
    group by role_days.mentor_id, role_days.employee_id, period_months.period_type, period_months.period_start

),

-- mentees' own KPI scores, weighted by the days they were mentored in the period
mentee_scores as (

    select
        mentorships.mentor_id as employee_id,
        mentorships.period_type,
        mentorships.period_start,
        count(*) as mentee_count,
        {{ divide('sum(mentorships.mentored_days * own.own_kpi_score)', 'sum(mentorships.mentored_days)') }}
            as mentee_score
    from mentorships
    inner join own
        on mentorships.mentee_id = own.employee_id
        and mentorships.period_type = own.period_type
        and mentorships.period_start = own.period_start
    where own.own_kpi_score is not null
    group by mentorships.mentor_id, mentorships.period_type, mentorships.period_start

),

blended as (

    select
        own.*,
        mentee_scores.mentee_count,
        mentee_scores.mentee_score,
        case
            when own.own_kpi_score is null then null
            when mentee_scores.mentee_score is not null and own.mentor_share_pct > 0 then
                (1 - own.mentor_share_pct * 0.01) * own.own_kpi_score
                + own.mentor_share_pct * 0.01 * mentee_scores.mentee_score
            else own.own_kpi_score
        end as score_before_bonus,
        coalesce(team_bonus.team_bonus_points, 0) as team_bonus_points,
        team_bonus.team_lead_id as bonus_team_lead_id,
        team_bonus.team_attainment
    from own
    left join mentee_scores
        on own.employee_id = mentee_scores.employee_id
        and own.period_type = mentee_scores.period_type
        and own.period_start = mentee_scores.period_start
    left join team_bonus
        on own.employee_id = team_bonus.employee_id
        and own.period_type = team_bonus.period_type
        and own.period_start = team_bonus.period_start

),

final as (

    select
        -- keys
        cast(employee_id as {{ dbt.type_string() }}) as employee_id,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        -- ids
        cast(department_id as {{ dbt.type_string() }}) as department_id,
        cast(bonus_team_lead_id as {{ dbt.type_string() }}) as bonus_team_lead_id,
        -- strings
        cast(period as {{ dbt.type_string() }}) as period,
        cast(scorecard as {{ dbt.type_string() }}) as scorecard,
        cast(scorecard_version as {{ dbt.type_string() }}) as scorecard_version,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(tenure_band as {{ dbt.type_string() }}) as tenure_band,
        cast(case when own_kpi_score is null then 'no_data' else 'scored' end as {{ dbt.type_string() }})
            as score_status,
        -- numbers
        cast(role_days as {{ dbt.type_bigint() }}) as role_days,
        cast(coalesce(scored_days, 0) as {{ dbt.type_bigint() }}) as scored_days,
        cast(segment_count as {{ dbt.type_bigint() }}) as segment_count,
        cast(version_count as {{ dbt.type_bigint() }}) as version_count,
        cast(coalesce(kpis_scored, 0) as {{ dbt.type_bigint() }}) as kpis_scored,
        cast(coalesce(kpis_total, 0) as {{ dbt.type_bigint() }}) as kpis_total,
        cast(own_kpi_score as {{ dbt.type_numeric() }}) as own_kpi_score,
        {%- for p in perspectives %}
        cast({{ p }}_score as {{ dbt.type_numeric() }}) as {{ p }}_score,
        {%- endfor %}
        cast(coalesce(mentee_count, 0) as {{ dbt.type_bigint() }}) as mentee_count,
        cast(mentee_score as {{ dbt.type_numeric() }}) as mentee_score,
        cast(coalesce(mentor_share_pct, 0) as {{ dbt.type_numeric() }}) as mentor_share_pct,
        cast(score_before_bonus as {{ dbt.type_numeric() }}) as score_before_bonus,
        cast(team_attainment as {{ dbt.type_numeric() }}) as team_attainment,
        cast(team_bonus_points as {{ dbt.type_numeric() }}) as team_bonus_points,
        cast(score_before_bonus + team_bonus_points as {{ dbt.type_numeric() }}) as final_score,
        -- dates
        cast(period_end as date) as period_end,
        cast(first_day as date) as first_day,
        cast(last_day as date) as last_day
    from blended

)

select * from final
