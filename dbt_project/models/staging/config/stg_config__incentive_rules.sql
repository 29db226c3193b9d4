with

source as (

    {{ config_source('incentive_rules', [
        ('scorecard', 'string'), ('version', 'string'), ('rule_id', 'string'), ('rule_type', 'string'),
        ('role', 'string'), ('kpi', 'string'), ('subject', 'string'), ('comparison', 'string'),
        ('threshold', 'numeric'), ('deduct_pct', 'numeric'), ('bonus_points', 'numeric'),
        ('promotion_block_months', 'integer'), ('uplift_kpi', 'string'), ('uplift_step_points', 'numeric'),
        ('uplift_rate_per_step', 'numeric'), ('uplift_max_steps', 'integer'),
    ]) }}

),

renamed as (

    select
        -- keys
        scorecard,
        version,
        rule_id,
        role,
        -- strings
        rule_type,
        kpi,
        subject,
        comparison,
        uplift_kpi,
        -- numbers
        cast(threshold as {{ dbt.type_numeric() }}) as threshold,
        cast(deduct_pct as {{ dbt.type_numeric() }}) as deduct_pct,
        cast(bonus_points as {{ dbt.type_numeric() }}) as bonus_points,
        promotion_block_months,
        cast(uplift_step_points as {{ dbt.type_numeric() }}) as uplift_step_points,
        cast(uplift_rate_per_step as {{ dbt.type_numeric() }}) as uplift_rate_per_step,
        uplift_max_steps
    from source

)

select * from renamed
