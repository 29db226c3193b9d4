-- The decomposition is exact to the unit and the Shapley shares sum exactly to the excess (units and cost);
-- people's shares sum exactly to their department's. Returns the sku-months that break either.
with

attribution as (

    select * from {{ ref('fct_inventory_attribution') }}

),

people as (

    select
        sku,
        month,
        sum(case when department = 'purchasing' then attributed_excess_value_base else 0 end) as purchasing_value,
        sum(case when department = 'operations' then attributed_excess_value_base else 0 end) as operations_value,
        sum(case when department = 'sales' then attributed_excess_value_base else 0 end) as sales_value
    from {{ ref('fct_inventory_attribution_people') }}
    group by sku, month

)

select attribution.sku, attribution.month
from attribution
left join people
    on attribution.sku = people.sku
    and attribution.month = people.month
where attribution.gap_to_target_qty <> attribution.purchasing_qty + attribution.operations_qty + attribution.sales_qty
    or attribution.excess_qty
        <> attribution.purchasing_excess_qty + attribution.operations_excess_qty + attribution.sales_excess_qty
    or attribution.excess_value_base <> attribution.purchasing_excess_value_base
        + attribution.operations_excess_value_base + attribution.sales_excess_value_base
    or attribution.excess_qty < 0
    or people.sku is null
    or people.purchasing_value <> attribution.purchasing_excess_value_base
    or people.operations_value <> attribution.operations_excess_value_base
    or people.sales_value <> attribution.sales_excess_value_base
