with

source as (

    {{ config_source('scorecard_versions', [
        ('scorecard', 'string'), ('version', 'string'), ('title', 'string'), ('source_file', 'string'),
        ('file_sha256', 'string'), ('note', 'string'), ('effective_from', 'date'), ('effective_to', 'date'),
        ('is_first_version', 'boolean'), ('new_hire_months', 'integer'), ('missing_kpi_policy', 'string'),
        ('mentor_share_pct', 'numeric'), ('bonus_score_cap', 'numeric'),
    ]) }}

),

renamed as (

    select
        -- keys
        scorecard,
        version,
        -- strings
        title,
        source_file,
        file_sha256,
        note,
        missing_kpi_policy,
        -- numbers
        new_hire_months,
        cast(mentor_share_pct as {{ dbt.type_numeric() }}) as mentor_share_pct,
        cast(bonus_score_cap as {{ dbt.type_numeric() }}) as bonus_score_cap,
        -- booleans
        is_first_version,
        -- dates
        effective_from,
        effective_to
    from source

)

select * from renamed
