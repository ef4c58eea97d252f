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
        order_id,
        item_number,
        item.product_id as product_id,
        item.sku as sku,
        item.name as product_name,
        cast(item.quantity as integer) as quantity,
        item.unit_price as unit_price,
        cast(item.quantity * item.unit_price as decimal(18, 2)) as line_total
    from explode_items
)

select * from name_columns
