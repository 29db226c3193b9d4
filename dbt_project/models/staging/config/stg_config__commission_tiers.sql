with

source as (

    {{ config_source('commission_tiers', [
        ('scorecard', 'string'), ('version', 'string'), ('tier_number', 'integer'), ('min_attainment', 'numeric'),
        ('rate', 'numeric'),
    ]) }}

),

renamed as (

    select
        -- keys
        scorecard,
        version,
        tier_number,
        -- numbers
        cast(min_attainment as {{ dbt.type_numeric() }}) as min_attainment,
        cast(rate as {{ dbt.type_numeric() }}) as rate
    from source

)

select * from renamed
