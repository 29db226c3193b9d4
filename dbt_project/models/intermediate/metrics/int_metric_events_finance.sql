with

balances as (

    select month_start, account, amount from {{ ref('stg_erp__finance_balances') }}

),

data_window as (

    select window_end from {{ ref('int_data_window') }}

),

-- one row per month with the accounts side by side
ledger_months as (

    select
        month_start as month,
        {{ dbt.datediff('month_start', dbt.dateadd('month', 1, 'month_start'), 'day') }} as calendar_days,
        sum(case when account = 'inventory' then amount end) as inventory,
        sum(case when account = 'current_assets' then amount end) as current_assets,
        sum(case when account = 'receivables' then amount end) as receivables,
        sum(case when account = 'revenue' then amount end) as revenue,
        sum(case when account = 'operating_expenses' then amount end) as operating_expenses,
        sum(case when account = 'inventory_impairment' then amount end) as inventory_impairment
    from balances
    group by month_start

),

inventory_capital_occupation as (

    select
        {{ metric_event("'inventory_capital_occupation'", "'stg_erp__finance_balances'", "'inventory/current_assets'",
            'month', 'month', numerator='inventory', denominator='current_assets', source_rows='2') }}
    from ledger_months
    where inventory is not null and current_assets is not null

),

slow_moving_impairment_rate as (

    select
        {{ metric_event("'slow_moving_impairment_rate'", "'stg_erp__finance_balances'",
            "'inventory_impairment/inventory'", 'month', 'month',
            numerator='inventory_impairment', denominator='inventory', source_rows='2') }}
    from ledger_months
    where inventory_impairment is not null and inventory is not null

),

operating_expense_ratio as (

    select
        {{ metric_event("'operating_expense_ratio'", "'stg_erp__finance_balances'", "'operating_expenses/revenue'",
            'month', 'month', numerator='operating_expenses', denominator='revenue', source_rows='2') }}
    from ledger_months
    where operating_expenses is not null and revenue is not null

),

days_sales_outstanding as (

    select
        {{ metric_event("'days_sales_outstanding'", "'stg_erp__finance_balances'", "'receivables/revenue'",
            'month', 'month', numerator='receivables * calendar_days', denominator='revenue', source_rows='2') }}
    from ledger_months
    where receivables is not null and revenue is not null

),

capital_turnover_current as (

    select
        {{ metric_event("'capital_turnover_growth'", "'stg_erp__finance_balances'", "'revenue/current_assets'",
            'month', 'month', numerator='12 * revenue', denominator='current_assets',
            prior_numerator='0', prior_denominator='0', source_rows='2') }}
    from ledger_months
    where revenue is not null and current_assets is not null

),

capital_turnover_prior as (

    select
        {{ metric_event("'capital_turnover_growth'", "'stg_erp__finance_balances'",
            "'revenue/current_assets|prior'", 'month', dbt.dateadd('month', 12, 'month'),
            numerator='0', denominator='0', prior_numerator='12 * revenue', prior_denominator='current_assets',
            source_rows='2') }}
    from ledger_months
    cross join data_window
    where revenue is not null
        and current_assets is not null
        and {{ dbt.dateadd('month', 12, 'month') }} <= data_window.window_end

),

final as (

    select * from inventory_capital_occupation
    union all
    select * from slow_moving_impairment_rate
    union all
    select * from operating_expense_ratio
    union all
    select * from days_sales_outstanding
    union all
    select * from capital_turnover_current
    union all
    select * from capital_turnover_prior

)

select * from final
