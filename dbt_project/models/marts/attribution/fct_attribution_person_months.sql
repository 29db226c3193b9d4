-- Attributed excess per person, department (driver) and month: fct_inventory_attribution_people summed.
with

people as (

    select
        sku, month, department, employee_id, responsibility_role, component_qty, attributed_excess_qty,
        attributed_excess_value_base
    from {{ ref('fct_inventory_attribution_people') }}

),

final as (

    select
        -- keys
        employee_id,
        department,
        month,
        -- numbers
        cast(count(distinct sku) as {{ dbt.type_bigint() }}) as sku_count,
        cast(sum(component_qty) as {{ attribution_numeric() }}) as component_qty,
        cast(sum(attributed_excess_qty) as {{ attribution_numeric() }}) as attributed_excess_qty,
        cast(sum(attributed_excess_value_base) as {{ attribution_numeric() }}) as attributed_excess_value_base,
        cast(
            sum(case when responsibility_role = 'approver' then attributed_excess_value_base else 0 end)
        as {{ attribution_numeric() }}) as as_approver_excess_value_base,
        cast(
            sum(case when responsibility_role = 'opening_stock' then attributed_excess_value_base else 0 end)
        as {{ attribution_numeric() }}) as opening_stock_excess_value_base
    from people
    group by employee_id, department, month

)

select * from final
