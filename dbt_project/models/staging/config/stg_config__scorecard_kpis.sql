with

source as (

    {{ config_source('scorecard_kpis', [
        ('scorecard', 'string'), ('version', 'string'), ('effective_from', 'date'), ('role', 'string'),
        ('region', 'string'), ('tenure_band', 'string'), ('kpi', 'string'), ('subject', 'string'),
        ('kpi_label', 'string'), ('weight', 'numeric'), ('target_source', 'string'), ('target_value', 'numeric'),
        ('target_plan_kpi', 'string'), ('direction', 'string'), ('curve', 'string'), ('curve_floor', 'numeric'),
        ('curve_cap', 'numeric'), ('bsc_perspective', 'string'),
    ]) }}

),

renamed as (

    select
        -- keys
        scorecard,
        version,
        role,
        region,
        tenure_band,
        kpi,
        subject,
        -- strings
        kpi_label,
        target_source,
        target_plan_kpi,
        direction,
        curve,
        bsc_perspective,
        -- numbers
        cast(weight as {{ dbt.type_numeric() }}) as weight,
        cast(target_value as {{ dbt.type_numeric() }}) as target_value,
        cast(curve_floor as {{ dbt.type_numeric() }}) as curve_floor,
        cast(curve_cap as {{ dbt.type_numeric() }}) as curve_cap,
        -- dates
        effective_from
    from source

)

select * from renamed
