{#
    numerator / denominator as an exact decimal rounded half away from zero to 12 decimals (numeric(38,12)),
    the same value on every engine. Null when the denominator is zero or null (never a division error).

    Why a macro: the engines divide decimals differently. DuckDB turns decimal / decimal into a double;
    PostgreSQL divides numeric exactly; Spark divides decimals exactly but types the result by its own rules
    (the spark target sets spark.sql.decimalOperations.allowPrecisionLoss=false, so numeric(38,12) /
    numeric(38,12) keeps 18 decimals instead of 6). Rounding the quotient to 12 decimals right away, and only
    then to the 6 decimals of dbt.type_numeric() where a model publishes it, gives the same digits on all
    three: an exact half at the 7th decimal, such as 27981.494742 / 12 = 2331.7912285, rounds to 2331.791229
    everywhere, where DuckDB's double 2331.79122849999... cast straight to 6 decimals gave 2331.791228.

    Range: a quotient of 1e20 or more in magnitude (or an operand of 1e26 or more) fails the build on every
    engine, so no engine publishes a value another would refuse. DuckDB and PostgreSQL fail on the cast to
    numeric(32,12) (20 integer digits); Spark would instead return null silently (its decimal division keeps 18
    decimals and at most 20 integer digits, and overflow is null outside ANSI mode), so spark__divide raises
    the error itself.

    Dispatched (adapter.dispatch) so an engine with other decimal rules can override it.
#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    cast(cast(
        cast({{ numerator }} as {{ type_precise_numeric() }})
        / cast(nullif({{ denominator }}, 0) as {{ type_precise_numeric() }})
    as numeric(32,12)) as {{ type_precise_numeric() }})
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    case
        when abs(cast({{ numerator }} as double)) >= 1e26
            or abs(cast({{ denominator }} as double)) >= 1e26
            or abs(cast({{ numerator }} as double)) >= 1e20 * abs(cast(nullif({{ denominator }}, 0) as double))
        then raise_error('divide: the quotient (or an operand) is out of range: 1e20 or more')
        else cast(
            cast({{ numerator }} as {{ type_precise_numeric() }})
            / cast(nullif({{ denominator }}, 0) as {{ type_precise_numeric() }})
        as {{ type_precise_numeric() }})
    end
{%- endmacro %}
