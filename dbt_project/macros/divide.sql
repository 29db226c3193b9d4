{#
    numerator / denominator as an exact decimal rounded half away from zero to 12 decimals (numeric(38,12)),
    the same value on every engine. Null when the denominator is zero or null (never a division error).

    Why a macro: the engines divide decimals differently. DuckDB turns decimal / decimal into a double;
    PostgreSQL divides numeric exactly; Spark keeps a decimal but lowers the result's scale to 6 when the
    operand types are wide. Rounding the quotient to 12 decimals right away (and only then to the 6 decimals
    of dbt.type_numeric() where a model publishes it) gives the same digits on all three: an exact half at
    the 7th decimal, such as 27981.494742 / 12 = 2331.7912285, rounds to 2331.791229 everywhere, where the
    double 2331.79122849999... cast straight to 6 decimals gave 2331.791228 on DuckDB.

    denominator_scale: decimals the denominator can carry (default 6, dbt.type_numeric()). Spark only: the
    denominator is cast to that scale and the numerator to decimal(38 - 12 - denominator_scale, 12) so the
    quotient keeps 12 decimals (|numerator| < 1e20 at scale 6, < 1e14 at scale 12).
#}
{% macro divide(numerator, denominator, denominator_scale=6) -%}
    {{ return(adapter.dispatch('divide')(numerator, denominator, denominator_scale)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator, denominator_scale) -%}
    cast(
        cast({{ numerator }} as {{ type_precise_numeric() }})
        / cast(nullif({{ denominator }}, 0) as {{ type_precise_numeric() }})
    as {{ type_precise_numeric() }})
{%- endmacro %}

{% macro spark__divide(numerator, denominator, denominator_scale) -%}
    cast(
        cast({{ numerator }} as decimal({{ 38 - 12 - denominator_scale }}, 12))
        / cast(nullif({{ denominator }}, 0) as decimal(38, {{ denominator_scale }}))
    as {{ type_precise_numeric() }})
{%- endmacro %}
