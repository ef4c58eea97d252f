-- One row per order in its current state (the newest updated_at), with its reporting day,
-- stitched person, item totals and the visit it converted (if any).
with

orders as (
    select * from {{ ref('int_orders_current') }}
),

order_items as (
    select * from {{ ref('int_order_items_current') }}
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed') }}
),

person_map as (
    select * from {{ ref('int_person_map') }}
),

summarise_items as (
    select
        order_id,
        count(*) as item_lines,
        sum(quantity) as units
    from order_items
    group by order_id
),

join_order_context as (
    select
        orders.order_id,
        orders.order_number,
        orders.visitor_id,
        coalesce(person_map.person_id, orders.visitor_id, orders.customer_id) as person_id,
        orders.customer_id,
        orders.customer_type,
        orders.order_status,
        orders.payment_status,
        orders.payment_status = 'PAID' as is_paid,
        orders.currency,
        orders.subtotal,
        orders.tax,
        orders.shipping,
        orders.total,
        coalesce(summarise_items.item_lines, 0) as item_lines,
        cast(coalesce(summarise_items.units, 0) as {{ dbt.type_bigint() }}) as units,
        orders.created_at,
        {{ to_reporting_date('orders.created_at') }} as order_date,
        orders.updated_at,
        orders.status_rows,
        attributed_orders.visit_id,
        attributed_orders.visit_id is not null as is_attributed
    from orders
    left join summarise_items on orders.order_id = summarise_items.order_id
    left join attributed_orders on orders.order_id = attributed_orders.order_id
    left join person_map on orders.visitor_id = person_map.visitor_id
)

select * from join_order_context
