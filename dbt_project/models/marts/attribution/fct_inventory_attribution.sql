-- Cross-department attribution of a sku's month-end stock against its policy target (DESIGN.md):
-- end - T = (R - R_plan) + (F - C) + (C - D), with R_plan = F + T - B, exact to the unit; the excess at cost
-- max(0, end - T) x unit cost split over the three drivers with Shapley values (2^3 cases).
with

sku_months as (

    select sku, month, calendar_days, opening_qty, closing_qty, received_qty, shipped_qty, closing_value_base
    from {{ ref('int_sku_months_summarised') }}

),

products as (

    select sku, safety_days, unit_cost_base, planner_id, buyer_id, owner_salesperson_id
    from {{ ref('stg_erp__products') }}

),

demand_forecasts as (

    select sku, month_start, version, planner_id, forecast_qty, created_at
    from {{ ref('stg_erp__demand_forecasts') }}

),

sales_commitments as (

    select sku, month_start, salesperson_id, committed_qty
    from {{ ref('stg_erp__sales_commitments') }}

),

-- the forecast in force for a month: the highest version created before the month started
forecasts_ranked as (

    select
        sku,
        month_start,
        version,
        planner_id,
        forecast_qty,
        row_number() over (partition by sku, month_start order by version desc) as version_rank
    from demand_forecasts
    where created_at < month_start

),

forecasts as (

    select sku, month_start, version, planner_id, forecast_qty
    from forecasts_ranked
    where version_rank = 1

),

commitments as (

    select sku, month_start, sum(committed_qty) as committed_qty
    from sales_commitments
    group by sku, month_start

),

-- average daily sales over the (up to) three months before the month; the month itself when none precede
trailing_sales as (

    select
        current_month.sku,
        current_month.month,
        sum(previous_months.shipped_qty) as shipped_qty,
        sum(previous_months.calendar_days) as calendar_days
    from sku_months as current_month
    inner join sku_months as previous_months
        on current_month.sku = previous_months.sku
        and previous_months.month < current_month.month
        and previous_months.month >= cast({{ dbt.dateadd('month', -3, 'current_month.month') }} as date)
    group by current_month.sku, current_month.month

),

inputs as (

    select
        sku_months.sku,
        sku_months.month,
        cast(sku_months.opening_qty as {{ attribution_numeric() }}) as opening_qty,
        cast(sku_months.received_qty as {{ attribution_numeric() }}) as received_qty,
        cast(sku_months.shipped_qty as {{ attribution_numeric() }}) as sold_qty,
        cast(sku_months.closing_qty as {{ attribution_numeric() }}) as closing_qty,
        cast(coalesce(products.safety_days, 0) as {{ attribution_numeric() }}) as safety_days,
        cast(
            case
                when trailing_sales.calendar_days > 0 then
                    {{ dbt.safe_cast('greatest(trailing_sales.shipped_qty, 0)', attribution_numeric()) }}
                    / trailing_sales.calendar_days
                else
                    {{ dbt.safe_cast('greatest(sku_months.shipped_qty, 0)', attribution_numeric()) }}
                    / sku_months.calendar_days
            end
        as {{ attribution_numeric() }}) as average_daily_sales,
        forecasts.forecast_qty is not null as has_forecast,
        commitments.committed_qty is not null as has_commitment,
        forecasts.version as forecast_version,
        coalesce(forecasts.planner_id, products.planner_id) as planner_id,
        products.buyer_id,
        products.owner_salesperson_id,
        -- without a forecast operations is at plan (F = C); without a commitment sales is (C = F; neither: D)
        cast(
            coalesce(forecasts.forecast_qty, commitments.committed_qty, sku_months.shipped_qty)
        as {{ attribution_numeric() }}) as forecast_qty,
        cast(
            coalesce(commitments.committed_qty, forecasts.forecast_qty, sku_months.shipped_qty)
        as {{ attribution_numeric() }}) as committed_qty,
        -- moving-average unit cost at month end, else the product's cost
        cast(
            coalesce(
                case when sku_months.closing_qty > 0 then sku_months.closing_value_base / sku_months.closing_qty end,
                products.unit_cost_base,
                0
            )
        as {{ attribution_numeric() }}) as unit_cost_base
    from sku_months
    inner join products
        on sku_months.sku = products.sku
    left join trailing_sales
        on sku_months.sku = trailing_sales.sku
        and sku_months.month = trailing_sales.month
    left join forecasts
        on sku_months.sku = forecasts.sku
        and sku_months.month = forecasts.month_start
    left join commitments
        on sku_months.sku = commitments.sku
        and sku_months.month = commitments.month_start

),

components as (

    select
        inputs.*,
        cast(safety_days * average_daily_sales as {{ attribution_numeric() }}) as target_qty,
        cast(forecast_qty + safety_days * average_daily_sales - opening_qty as {{ attribution_numeric() }})
            as planned_receipts_qty,
        cast(opening_qty + received_qty - sold_qty as {{ attribution_numeric() }}) as ending_qty,
        cast(received_qty - (forecast_qty + safety_days * average_daily_sales - opening_qty)
            as {{ attribution_numeric() }}) as purchasing_qty,
        cast(forecast_qty - committed_qty as {{ attribution_numeric() }}) as operations_qty,
        cast(committed_qty - sold_qty as {{ attribution_numeric() }}) as sales_qty
    from inputs

),

-- excess units with each driver at plan (0) or actual (its component): v(p, o, s), v(0, 0, 0) = 0
cases as (

    select
        components.*,
        greatest(purchasing_qty, 0) as v_p,
        greatest(operations_qty, 0) as v_o,
        greatest(sales_qty, 0) as v_s,
        greatest(purchasing_qty + operations_qty, 0) as v_po,
        greatest(purchasing_qty + sales_qty, 0) as v_ps,
        greatest(operations_qty + sales_qty, 0) as v_os,
        greatest(purchasing_qty + operations_qty + sales_qty, 0) as v_pos
    from components

),

-- Shapley value of three players: weights 1/3 (alone), 1/6 (joining one), 1/3 (joining both)
shapley as (

    select
        cases.*,
        cast((2 * v_p + (v_po - v_o) + (v_ps - v_s) + 2 * (v_pos - v_os)) / 6 as {{ attribution_numeric() }})
            as purchasing_excess_qty,
        cast((2 * v_o + (v_po - v_p) + (v_os - v_s) + 2 * (v_pos - v_ps)) / 6 as {{ attribution_numeric() }})
            as operations_excess_qty
    from cases

),

valued as (

    select
        shapley.*,
        cast(v_pos * unit_cost_base as {{ attribution_numeric() }}) as excess_value_base,
        cast(purchasing_excess_qty * unit_cost_base as {{ attribution_numeric() }}) as purchasing_excess_value_base,
        cast(operations_excess_qty * unit_cost_base as {{ attribution_numeric() }}) as operations_excess_value_base
    from shapley

),

final as (

    select
        -- keys
        sku,
        month,
        -- responsibility keys
        buyer_id,
        planner_id,
        owner_salesperson_id,
        forecast_version,
        has_forecast,
        has_commitment,
        -- units
        opening_qty,
        safety_days,
        average_daily_sales,
        target_qty,
        forecast_qty,
        committed_qty,
        planned_receipts_qty,
        received_qty,
        sold_qty,
        ending_qty,
        closing_qty,
        cast(closing_qty - ending_qty as {{ attribution_numeric() }}) as stock_adjustment_qty,
        cast(ending_qty - target_qty as {{ attribution_numeric() }}) as gap_to_target_qty,
        purchasing_qty,
        operations_qty,
        sales_qty,
        -- excess and its Shapley split, units (the sales share is the remainder, so the three sum exactly)
        cast(v_pos as {{ attribution_numeric() }}) as excess_qty,
        purchasing_excess_qty,
        operations_excess_qty,
        cast(v_pos - purchasing_excess_qty - operations_excess_qty as {{ attribution_numeric() }})
            as sales_excess_qty,
        -- at cost, base currency (again the sales share is the remainder)
        unit_cost_base,
        excess_value_base,
        purchasing_excess_value_base,
        operations_excess_value_base,
        cast(excess_value_base - purchasing_excess_value_base - operations_excess_value_base
            as {{ attribution_numeric() }}) as sales_excess_value_base
    from valued

)

select * from final
