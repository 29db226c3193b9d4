-- Components and attributed excess per department (driver) and month, from fct_inventory_attribution; the
-- three departments' excess sums exactly to the month's excess at cost.
with

attribution as (

    select
        sku, month, purchasing_qty, operations_qty, sales_qty, excess_value_base, purchasing_excess_qty,
        operations_excess_qty, sales_excess_qty, purchasing_excess_value_base, operations_excess_value_base,
        sales_excess_value_base
    from {{ ref('fct_inventory_attribution') }}

),

unpivoted as (

    select
        month, 'purchasing' as department, purchasing_qty as component_qty,
        purchasing_excess_qty as attributed_excess_qty, purchasing_excess_value_base as attributed_excess_value_base,
        excess_value_base
    from attribution

    union all

    select
        month, 'operations', operations_qty, operations_excess_qty, operations_excess_value_base, excess_value_base
    from attribution

    union all

    select month, 'sales', sales_qty, sales_excess_qty, sales_excess_value_base, excess_value_base
    from attribution

),

final as (

    select
        -- keys
        department,
        month,
        -- numbers
        cast(sum(component_qty) as {{ attribution_numeric() }}) as component_qty,
        cast(sum(attributed_excess_qty) as {{ attribution_numeric() }}) as attributed_excess_qty,
        cast(sum(attributed_excess_value_base) as {{ attribution_numeric() }}) as attributed_excess_value_base,
        cast(sum(excess_value_base) as {{ attribution_numeric() }}) as total_excess_value_base
    from unpivoted
    group by department, month

)

select * from final
