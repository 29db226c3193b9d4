with

source as (

    select * from {{ source('hr', 'compensation') }}

),

deduped as (

    {{ dedupe('source', ['employee_id', 'valid_from']) }}

),

renamed as (

    select
        -- keys
        employee_id,
        valid_from,
        -- strings
        currency,
        -- numbers
        base_salary_monthly,
        {{ to_base_currency('base_salary_monthly', 'currency', 'valid_from') }} as base_salary_monthly_base,
        bonus_target_quarterly,
        {{ to_base_currency('bonus_target_quarterly', 'currency', 'valid_from') }} as bonus_target_quarterly_base,
        -- dates
        valid_to,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
