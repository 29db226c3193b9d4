with

sku_months as (

    select * from {{ ref('int_sku_months_summarised') }}

),

products as (

    select sku, owner_salesperson_id, planner_id, buyer_id from {{ ref('stg_erp__products') }}

),

slow_moving_lists as (

    select list_id, sku, month_start, submitted_by, submitted_at, on_hand_qty
    from {{ ref('stg_erp__slow_moving_lists') }}

),

slow_moving_actions as (

    select action_id, list_id, action_type, quantity, taken_at from {{ ref('stg_erp__slow_moving_actions') }}

),

demand_forecasts as (

    select sku, month_start, version, planner_id, forecast_qty, created_at
    from {{ ref('stg_erp__demand_forecasts') }}

),

data_window as (

    select window_end from {{ ref('int_data_window') }}

),

sku_months_owned as (

    select
        sku_months.*,
        products.owner_salesperson_id,
        products.planner_id,
        products.buyer_id
    from sku_months
    inner join products
        on sku_months.sku = products.sku

),

-- the forecast in force for a month: the highest version created before the month started
forecasts_ranked as (

    select
        demand_forecasts.*,
        row_number() over (partition by sku, month_start order by version desc) as version_rank
    from demand_forecasts
    where created_at < month_start

),

forecast_months as (

    select
        forecasts_ranked.sku,
        forecasts_ranked.month_start as month,
        forecasts_ranked.version,
        forecasts_ranked.planner_id,
        forecasts_ranked.forecast_qty,
        coalesce(sku_months.shipped_qty, 0) as actual_qty
    from forecasts_ranked
    inner join sku_months
        on forecasts_ranked.sku = sku_months.sku
        and forecasts_ranked.month_start = sku_months.month
    where forecasts_ranked.version_rank = 1

),

-- per list entry: its first action, and the units the actions taken within the follow-up window cleared
list_actions as (

    select
        slow_moving_lists.list_id,
        min(slow_moving_actions.taken_at) as first_action_at,
        sum(
            case
                when slow_moving_actions.taken_at <= {{ dbt.dateadd('day', var('slow_moving_follow_up_days'), 'slow_moving_lists.submitted_at') }}
                    then slow_moving_actions.quantity
                else 0
            end
        ) as cleared_qty
    from slow_moving_lists
    inner join slow_moving_actions
        on slow_moving_lists.list_id = slow_moving_actions.list_id
    group by slow_moving_lists.list_id

),

listed as (

    select
        slow_moving_lists.*,
        products.owner_salesperson_id,
        list_actions.first_action_at,
        coalesce(list_actions.cleared_qty, 0) as cleared_qty
    from slow_moving_lists
    left join products
        on slow_moving_lists.sku = products.sku
    left join list_actions
        on slow_moving_lists.list_id = list_actions.list_id

),

inventory_turnover as (

    select
        {{ metric_event("'inventory_turnover'", "'int_sku_months_summarised'", 'sku', 'month', 'month',
            employee_id='buyer_id', numerator='365 * cogs_base', denominator='inventory_days_at_cost',
            source_rows='snapshot_days') }}
    from sku_months_owned
    where inventory_days_at_cost > 0 or cogs_base <> 0

),

days_inventory_outstanding as (

    select
        {{ metric_event("'days_inventory_outstanding'", "'int_sku_months_summarised'", 'sku', 'month', 'month',
            employee_id='buyer_id', numerator='inventory_days_at_cost', denominator='cogs_base',
            source_rows='snapshot_days') }}
    from sku_months_owned
    where inventory_days_at_cost > 0 or cogs_base <> 0

),

turnover_improvement_current as (

    select
        {{ metric_event("'turnover_improvement'", "'int_sku_months_summarised'", 'sku', 'month', 'month',
            employee_id='buyer_id', numerator='365 * cogs_base', denominator='inventory_days_at_cost',
            prior_numerator='0', prior_denominator='0', source_rows='snapshot_days') }}
    from sku_months_owned
    where inventory_days_at_cost > 0 or cogs_base <> 0

),

turnover_improvement_prior as (

    select
        {{ metric_event("'turnover_improvement'", "'int_sku_months_summarised'",
            dbt.concat(['sku', "'|prior'"]), 'month', dbt.dateadd('month', 12, 'month'),
            employee_id='buyer_id', numerator='0', denominator='0',
            prior_numerator='365 * cogs_base', prior_denominator='inventory_days_at_cost',
            source_rows='snapshot_days') }}
    from sku_months_owned
    cross join data_window
    where (inventory_days_at_cost > 0 or cogs_base <> 0)
        and {{ dbt.dateadd('month', 12, 'month') }} <= data_window.window_end

),

inventory_digestion_rate as (

    select
        {{ metric_event("'inventory_digestion_rate'", "'int_sku_months_summarised'", 'sku', 'month', 'month',
            employee_id='owner_salesperson_id', numerator='shipped_qty',
            denominator='opening_qty + received_qty') }}
    from sku_months_owned
    where opening_qty + received_qty > 0 or shipped_qty <> 0

),

slow_moving_digestion_rate as (

    select
        {{ metric_event("'slow_moving_digestion_rate'", "'stg_erp__slow_moving_lists'", 'list_id',
            'month_start', 'month_start', employee_id='owner_salesperson_id',
            numerator='case when cleared_qty > on_hand_qty then on_hand_qty '
                ~ 'when cleared_qty < 0 then 0 else cleared_qty end',
            denominator='on_hand_qty') }}
    from listed

),

slow_moving_list_timeliness as (

    select
        {{ metric_event("'slow_moving_list_timeliness'", "'stg_erp__slow_moving_lists'", 'list_id',
            'submitted_at', 'month_start', employee_id='submitted_by',
            numerator='case when cast(submitted_at as date) <= '
                ~ dbt.dateadd('day', var('slow_moving_list_due_day') - 1, 'month_start') ~ ' then 1 else 0 end',
            denominator='1') }}
    from listed

),

slow_moving_follow_up_rate as (

    select
        {{ metric_event("'slow_moving_follow_up_rate'", "'stg_erp__slow_moving_lists'", 'list_id',
            'submitted_at', 'month_start', employee_id='submitted_by',
            numerator='case when first_action_at <= '
                ~ dbt.dateadd('day', var('slow_moving_follow_up_days'), 'submitted_at') ~ ' then 1 else 0 end',
            denominator='1') }}
    from listed

),

forecast_accuracy as (

    select
        {{ metric_event("'forecast_accuracy'", "'stg_erp__demand_forecasts'",
            dbt.concat(['sku', "'|v'", 'cast(version as ' ~ dbt.type_string() ~ ')']), 'month', 'month',
            employee_id='planner_id',
            numerator='case when actual_qty >= forecast_qty then actual_qty - forecast_qty '
                ~ 'else forecast_qty - actual_qty end',
            denominator='actual_qty') }}
    from forecast_months

),

forecast_bias as (

    select
        {{ metric_event("'forecast_bias'", "'stg_erp__demand_forecasts'",
            dbt.concat(['sku', "'|v'", 'cast(version as ' ~ dbt.type_string() ~ ')']), 'month', 'month',
            employee_id='planner_id', numerator='forecast_qty - actual_qty', denominator='actual_qty') }}
    from forecast_months

),

final as (

    select * from inventory_turnover
    union all
    select * from days_inventory_outstanding
    union all
    select * from turnover_improvement_current
    union all
    select * from turnover_improvement_prior
    union all
    select * from inventory_digestion_rate
    union all
    select * from slow_moving_digestion_rate
    union all
    select * from slow_moving_list_timeliness
    union all
    select * from slow_moving_follow_up_rate
    union all
    select * from forecast_accuracy
    union all
    select * from forecast_bias

)

select * from final
