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

    Dispatched (adapter.dispatch) so an engine with other decimal rules can override it.
#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as {{ type_precise_numeric() }})
        / cast(nullif({{ denominator }}, 0) as {{ type_precise_numeric() }})
    as {{ type_precise_numeric() }})
{%- endmacro %}
