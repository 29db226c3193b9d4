{{ config(**monthly_incremental_config()) }}

with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

orders as (

    select * from {{ ref('stg_erp__sales_orders') }}

),

lines_with_orders as (

    -- every line with its header (cancelled ones too: a late cancellation must still rebuild its month)
    select
        order_lines.*,
        orders.customer_id,
        orders.salesperson_id,
        orders.channel,
        orders.region,
        orders.currency,
        orders.status,
        orders.ordered_at,
        orders.confirmed_at,
        orders.shipped_at,
        greatest(order_lines._loaded_at, orders._loaded_at) as _lines_loaded_at
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id

),

joined as (

    select
        lines.order_id,
        lines.line_number,
        lines.customer_id,
        lines.salesperson_id,
        lines.sku,
        lines.channel,
        lines.region,
        lines.currency,
        lines.status,
        lines.quantity,
        lines.unit_price,
        lines.unit_cost as unit_cost_base,
        -- rounded to the numeric type once here (on DuckDB, rounding a wide decimal is the costly step of this
        -- model); the exact cost stays for the margin, which is rounded once from the exact difference
        cast(cast(lines.quantity as {{ dbt.type_numeric() }}) * lines.unit_price as {{ dbt.type_numeric() }})
            as net_amount,
        cast(cast(lines.quantity as {{ dbt.type_numeric() }}) * lines.unit_cost as {{ dbt.type_numeric() }})
            as cost_base,
        cast(lines.quantity as {{ dbt.type_numeric() }}) * lines.unit_cost as exact_cost_base,
        lines.shipped_at is not null as is_shipped,
        cast(lines.ordered_at as date) as ordered_date,
        cast(lines.shipped_at as date) as shipped_date,
        lines.ordered_at,
        lines.confirmed_at,
        lines.shipped_at,
        lines._lines_loaded_at as _loaded_at
    from lines_with_orders as lines
    where lines.status <> 'cancelled'
        and {{ monthly_window('ordered_at', 'lines_with_orders', '_lines_loaded_at') }}

),

converted as (

    select
        joined.*,
        {{ to_base_currency('net_amount', 'currency', 'ordered_date') }} as order_amount_base,
        case
            when is_shipped then {{ to_base_currency('net_amount', 'currency', 'shipped_date') }}
        end as net_revenue_base
    from joined

),

final as (

    select
        -- keys
        order_id,
        line_number,
        -- ids
        customer_id,
        salesperson_id,
        sku,
        -- strings
        channel,
        region,
        currency,
        status,
        -- numbers
        quantity,
        unit_price,
        unit_cost_base,
        net_amount,
        order_amount_base,
        cast(net_revenue_base as {{ dbt.type_numeric() }}) as net_revenue_base,
        cost_base,
        case when is_shipped then cost_base end as shipped_cost_base,
        cast(case when is_shipped then net_revenue_base - exact_cost_base end as {{ dbt.type_numeric() }})
            as gross_margin_base,
        -- booleans
        is_shipped,
        -- dates
        ordered_date,
        shipped_date,
        cast({{ dbt.date_trunc('month', 'shipped_date') }} as date) as revenue_month,
        -- timestamps
        ordered_at,
        confirmed_at,
        shipped_at,
        -- lineage and incremental month (macro monthly_incremental_config): newest load of line or header
        _loaded_at,
        {{ partition_month('ordered_at') }} as _partition_month
    from converted

)

select * from final
