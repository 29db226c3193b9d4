{#
    Schemas are exactly the layer names (staging, intermediate, marts) on every target: no target-schema
    prefix, so BI tools and the publish step can rely on fixed names. Nodes without a custom schema
    (tests, unit tests) use the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
