with

source as (

    select * from {{ source('erp', 'fx_rates') }}

),

deduped as (

    {{ dedupe('source', ['rate_date', 'currency']) }}

),

renamed as (

    select
        -- keys
        rate_date,
        currency,
        -- numbers
        rate_to_base,
        -- derived
        lead(rate_date) over (partition by currency order by rate_date) as next_rate_date,
        case when row_number() over (partition by currency order by rate_date) = 1
            then true else false end as is_first_rate,
        -- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at,
        _row_hash

    from deduped

)

select * from renamed
