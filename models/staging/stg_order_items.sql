-- One row per line item of an order's current state (order_id, item_number).
with

orders as (
    select * from {{ ref('stg_orders') }}
),

explode_items as (
    select
        order_id,
        {{ footfall.explode_list('items', 'item', 'item_number') }}
    from orders
),

name_columns as (
    select
        explode_items.order_id,
        explode_items.item_number,
        explode_items.item.product_id as product_id,  -- noqa: AL09
        explode_items.item.sku as sku,  -- noqa: AL09
        explode_items.item.name as product_name,
        cast(explode_items.item.quantity as integer) as quantity,
        explode_items.item.unit_price as unit_price,  -- noqa: AL09
        cast(explode_items.item.quantity * explode_items.item.unit_price as decimal(18, 2))
            as line_total
    from explode_items
)

select * from name_columns
