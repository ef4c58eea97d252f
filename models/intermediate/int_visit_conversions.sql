-- One row per converted visit: the orders attributed to it (any status), the PAID ones'
-- sales, and when its first order was created (for the funnel's purchase step).
with

attributed_orders as (
    select * from {{ ref('int_orders_attributed') }}
    where visit_id is not null
),

orders as (
    select * from {{ ref('int_orders_current') }}
),

summarise_visit_orders as (
    select
        attributed_orders.visit_id,
        count(*) as orders,
        count(case when orders.payment_status = 'PAID' then 1 end) as paid_orders,
        coalesce(
            sum(case when orders.payment_status = 'PAID' then orders.total end),
            0
        ) as sales,
        min(attributed_orders.created_at) as first_order_at,
        max(attributed_orders.created_at) as last_order_at
    from attributed_orders
    inner join orders on attributed_orders.order_id = orders.order_id
    group by attributed_orders.visit_id
)

select * from summarise_visit_orders
