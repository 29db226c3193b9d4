{#
    An amount converted to the base currency (var base_currency) at the rate in force on rate_date.

    Rates come from stg_erp__fx_rates (rate_to_base = base-currency units per one unit of the currency).
    The rate in force on a day is the latest rate published on or before that day (a weekend or holiday
    uses the last business day's rate); days before a currency's first published rate use that first
    rate. The base currency converts at 1 without a rate. The result is null when the amount is null or
    the currency has no rate at all; not_null tests on the *_base columns catch that.

    Written as a correlated scalar subquery so it can be used as a plain column expression; the rate table
    is wrapped in a derived table whose columns carry an fx_ prefix, so unqualified column names passed in
    always bind to the calling query.

    amount, currency, rate_date: SQL expressions of the calling query (rate_date may be a timestamp).
    The amount is widened to dbt.type_numeric() before multiplying, so narrow raw decimals cannot overflow.
#}
{% macro to_base_currency(amount, currency, rate_date) -%}
    cast(
        case
            when {{ currency }} = '{{ var("base_currency") }}' then {{ amount }}
            else cast({{ amount }} as {{ dbt.type_numeric() }}) * (
                select max(_fx.fx_rate_to_base)
                from (
                    select
                        currency as fx_currency,
                        rate_date as fx_rate_date,
                        next_rate_date as fx_next_rate_date,
                        is_first_rate as fx_is_first_rate,
                        rate_to_base as fx_rate_to_base
                    from {{ ref('stg_erp__fx_rates') }}
                ) as _fx
                where _fx.fx_currency = {{ currency }}
                    and (_fx.fx_is_first_rate or _fx.fx_rate_date <= cast({{ rate_date }} as date))
                    and (_fx.fx_next_rate_date is null or _fx.fx_next_rate_date > cast({{ rate_date }} as date))
            )
        end
    as {{ dbt.type_numeric() }})
{%- endmacro %}
