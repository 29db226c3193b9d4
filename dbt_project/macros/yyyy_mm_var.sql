{#
    The value of a 'YYYY-MM' project var (e.g. start_month), checked; none when the var is not set.
    A malformed value fails compilation with a message naming the var.
#}
{% macro yyyy_mm_var(name) -%}
    {{ return(yyyy_mm_value("var '" ~ name ~ "'", var(name, none))) }}
{%- endmacro %}


{# A 'YYYY-MM' value (label names it in the error), checked; none when empty. #}
{% macro yyyy_mm_value(label, value) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = value | string | trim -%}
    {%- if not modules.re.match('^\d{4}-(0[1-9]|1[0-2])$', value) -%}
        {{ exceptions.raise_compiler_error(label ~ " must read YYYY-MM, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
