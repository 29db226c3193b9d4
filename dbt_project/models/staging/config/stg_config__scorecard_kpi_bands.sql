with

source as (

    {{ config_source('scorecard_kpi_bands', [
        ('scorecard', 'string'), ('version', 'string'), ('role', 'string'), ('region', 'string'),
        ('tenure_band', 'string'), ('kpi', 'string'), ('subject', 'string'), ('band_number', 'integer'),
        ('band_attainment', 'numeric'), ('band_score', 'numeric'),
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
        band_number,
        -- numbers
        cast(band_attainment as {{ dbt.type_numeric() }}) as band_attainment,
        cast(band_score as {{ dbt.type_numeric() }}) as band_score
    from source

)

select * from renamed
