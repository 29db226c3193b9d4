{% macro attribution_numeric() -%}
    {#-
    numeric(28,12): the type of the attribution marts' quantities and values. Narrow enough that the sum or
    difference of two stays exact on DuckDB (a decimal wider than 38 digits would fall back to double), so the
    decomposition and the Shapley shares add up to the unit and to the cent.
    -#}
    numeric(28,12)
{%- endmacro %}
