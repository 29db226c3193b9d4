{#
    The select list of one metric event: one source record's contribution to one metric in one month.

    Every int_metric_events_<domain> model selects its events through this macro, so all of them have the
    same columns and types and int_metric_events can union them. A metric's value for any subject and any
    period is computed from the sums of the four components (macro metric_value), never by averaging
    monthly values.

    metric:          metric code (a quoted SQL string literal, e.g. "'revenue'")
    source_table:    the model the record comes from (string literal)
    source_key:      the record's key in that model, as text; unique per metric and month
    event_date:      the day the event happened; people are attributed to team and department on that day
    month:           first day of the month the event counts in (for prior-year components: 12 months later)
    employee_id:     person credited (null: the event counts for the company only, or for department_id)
    department_id:   department credited when it is not the person's department on event_date
    numerator, denominator, prior_numerator, prior_denominator: the components (null when unused)
    source_rows:     how many source rows stand behind the event (1 unless the event combines rows)
#}
{% macro metric_event(
    metric,
    source_table,
    source_key,
    event_date,
    month,
    employee_id='null',
    department_id='null',
    numerator='null',
    denominator='null',
    prior_numerator='null',
    prior_denominator='null',
    source_rows='1'
) -%}
        cast({{ metric }} as {{ dbt.type_string() }}) as metric,
        cast({{ source_table }} as {{ dbt.type_string() }}) as source_table,
        cast({{ source_key }} as {{ dbt.type_string() }}) as source_key,
        cast({{ employee_id }} as {{ dbt.type_string() }}) as employee_id,
        cast({{ department_id }} as {{ dbt.type_string() }}) as department_id,
        cast({{ numerator }} as {{ dbt.type_numeric() }}) as numerator,
        cast({{ denominator }} as {{ dbt.type_numeric() }}) as denominator,
        cast({{ prior_numerator }} as {{ dbt.type_numeric() }}) as prior_numerator,
        cast({{ prior_denominator }} as {{ dbt.type_numeric() }}) as prior_denominator,
        cast({{ source_rows }} as {{ dbt.type_bigint() }}) as source_rows,
        cast({{ event_date }} as date) as event_date,
        cast({{ month }} as date) as month
{%- endmacro %}


{#
    A metric's value from its summed components, by the metric's value formula:

      sum               numerator                          (amounts, counts)
      ratio             numerator / denominator            (rates, shares, averages)
      complement        1 - numerator / denominator        (e.g. forecast accuracy = 1 - WAPE)
      growth_of_sum     numerator / prior_numerator - 1    (e.g. revenue growth year over year)
      growth_of_ratio   (numerator / denominator) / (prior_numerator / prior_denominator) - 1

    A zero or null denominator (or prior base) gives null: no data, never a silent zero.
    formula is a SQL expression (a column or a quoted literal); the result is dbt.type_numeric().
#}
{% macro metric_value(formula, numerator, denominator, prior_numerator, prior_denominator) -%}
    cast(
        case
            when {{ formula }} = 'sum' then {{ numerator }}
            when {{ formula }} = 'ratio' then
                case when {{ denominator }} <> 0 then {{ divide(numerator, denominator) }} end
            when {{ formula }} = 'complement' then
                case when {{ denominator }} <> 0 then 1 - {{ divide(numerator, denominator) }} end
            when {{ formula }} = 'growth_of_sum' then
                case when {{ prior_numerator }} > 0 then {{ divide(numerator, prior_numerator) }} - 1 end
            when {{ formula }} = 'growth_of_ratio' then
                case when {{ denominator }} > 0 and {{ prior_denominator }} > 0 and {{ prior_numerator }} > 0 then
                    {{ divide(
                        '(' ~ numerator ~ ') * (' ~ prior_denominator ~ ')',
                        '(' ~ denominator ~ ') * (' ~ prior_numerator ~ ')') }} - 1
                end
        end
    as {{ dbt.type_numeric() }})
{%- endmacro %}


{#
    A wide exact decimal for intermediate results that are summed afterwards (numeric(38,12)): quotients are
    rounded once to 12 decimals, so the sums that follow are exact and do not depend on the order rows are
    added in (floating-point sums do), which keeps published scores byte-identical from run to run.
#}
{% macro type_precise_numeric() -%}
    numeric(38,12)
{%- endmacro %}
