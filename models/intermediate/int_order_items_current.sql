-- One row per line item of an order's current state (stg_order_items), stored once per
-- build like int_orders_current: the order and product models and three data tests read it.
with

order_items as (
    select * from {{ ref('stg_order_items') }}
)

select * from order_items
