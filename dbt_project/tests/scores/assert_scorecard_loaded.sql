{{ config(severity='warn') }}
{#
    Warns when people hold roles but no scorecard has been written to the warehouse (schema config): the
    KPI, role score and incentive marts are then empty. Write one with the Dagster asset
    raw/config/scorecard_kpis or orchestration.scorecards.write_scorecards.
#}
select count(*) as role_days
from {{ ref('int_employee_role_days') }}
having count(*) > 0
    and (select count(*) from {{ ref('stg_config__scorecard_versions') }}) = 0
