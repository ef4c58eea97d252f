-- One row per reporting day x product: views and add-to-carts in human visits started that
-- day, units sold and revenue of PAID orders created that day.
with

product_visits as (
    select * from {{ ref('int_product_visits') }}
),

order_items as (
    select * from {{ ref('int_order_items_current') }}
),

orders as (
    select * from {{ ref('orders') }}
),

count_visit_events as (
    select
        {{ to_reporting_date('started_at') }} as product_date,
        product_id,
        sum(product_views) as product_views,
        sum(add_to_carts) as add_to_carts
    from product_visits
    group by {{ to_reporting_date('started_at') }}, product_id
),

count_sales as (
    select
        orders.order_date as product_date,
        order_items.product_id,
        sum(order_items.quantity) as units_sold,
        sum(order_items.line_total) as revenue
    from order_items
    inner join orders on order_items.order_id = orders.order_id
    where orders.is_paid and order_items.product_id is not null
    group by orders.order_date, order_items.product_id
),

join_day_facts as (
    select
        coalesce(count_visit_events.product_date, count_sales.product_date) as product_date,
        coalesce(count_visit_events.product_id, count_sales.product_id) as product_id,
        cast(coalesce(count_visit_events.product_views, 0) as {{ dbt.type_bigint() }})
            as product_views,
        cast(coalesce(count_visit_events.add_to_carts, 0) as {{ dbt.type_bigint() }})
            as add_to_carts,
        cast(coalesce(count_sales.units_sold, 0) as {{ dbt.type_bigint() }})
            as units_sold,
        cast(coalesce(count_sales.revenue, 0) as decimal(18, 2)) as revenue
    from count_visit_events
    full outer join count_sales
        on
            count_visit_events.product_date = count_sales.product_date
            and count_visit_events.product_id = count_sales.product_id
)

select * from join_day_facts
