{#
    A select of one row per calendar day, column date_day, from start_date to end_date inclusive.

    Portable (no generate_series): integers 0 .. 2^bits - 1 are built by cross-joining a two-row table
    with itself, then added to start_date as days. max_days bounds the span at compile time (default
    16384 days, about 44 years); a longer span is cut at max_days.

    start_date, end_date: SQL expressions (dates). When they are columns of a one-row relation (e.g. a
    data-window CTE), pass that relation as bounds_relation and it is cross-joined in. Null bounds give
    no rows.
#}
{% macro date_spine(start_date, end_date, bounds_relation=none, max_days=16384) -%}
    {%- set ns = namespace(bits=0) -%}
    {%- for i in range(1, 64) -%}
        {%- if ns.bits == 0 and 2 ** i >= max_days -%}
            {%- set ns.bits = i -%}
        {%- endif -%}
    {%- endfor -%}
    select
        cast({{ dbt.dateadd('day', '_spine_numbers.day_offset', start_date) }} as date) as date_day
    from (
        select
            {% for i in range(ns.bits) -%}
            _spine_bit_{{ i }}.binary_digit * {{ 2 ** i }}{% if not loop.last %} + {% endif %}
            {%- endfor %} as day_offset
        from
            {% for i in range(ns.bits) -%}
            (select 0 as binary_digit union all select 1 as binary_digit) as _spine_bit_{{ i }}{% if not loop.last %}
            cross join
            {% endif %}
            {%- endfor %}
    ) as _spine_numbers
    {%- if bounds_relation is not none %}
    cross join {{ bounds_relation }}
    {%- endif %}
    where _spine_numbers.day_offset <= {{ dbt.datediff(start_date, end_date, 'day') }}
        and _spine_numbers.day_offset < {{ max_days }}
{%- endmacro %}
