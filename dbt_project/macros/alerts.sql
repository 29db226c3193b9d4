{#- One setting of one alert rule from the var `alerts` (config/alerts.yml, passed by the pipeline); a missing
    rule or key fails compilation naming both. -#}
{% macro alert_setting(rule, key) %}
    {%- set rules = var('alerts') -%}
    {%- if rule not in rules or key not in rules[rule] -%}
        {{ exceptions.raise_compiler_error("var alerts: rule " ~ rule ~ " has no setting " ~ key
            ~ " (config/alerts.yml, dbt_project.yml vars)") }}
    {%- endif -%}
    {{- return(rules[rule][key]) -}}
{% endmacro %}

{#- The distinct, non-null ids among the given columns, in the given order, joined by ';' ('E1;E2'). -#}
{% macro distinct_ids(columns) %}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- set earlier = columns[:loop.index0] -%}
        {%- if earlier -%}
            {%- set conditions = [] -%}
            {%- for other in earlier -%}
                {%- do conditions.append(column ~ " <> coalesce(" ~ other ~ ", '')") -%}
            {%- endfor -%}
            {%- do parts.append("case when " ~ conditions | join(" and ") ~ " then " ~ column ~ " end") -%}
        {%- else -%}
            {%- do parts.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    nullif(concat_ws(';', {{ parts | join(', ') }}), '')
{% endmacro %}
