-- One row per reporting day with an order created: PAID sales, orders by current status,
-- and customers whose first order was created that day.
with

orders as (
    select * from {{ ref('orders') }}
),

find_first_order_days as (
    select
        customer_id,
        min(order_date) as first_order_date
    from orders
    where customer_id is not null
    group by customer_id
),

count_new_customers as (
    select
        first_order_date as metric_date,
        count(*) as new_customers
    from find_first_order_days
    group by first_order_date
),

count_orders as (
    select
        order_date as metric_date,
        coalesce(sum(case when is_paid then total end), 0) as total_sales,
        count(case when is_paid then 1 end) as total_orders,
        count(*) as created_orders,
        count(case when order_status = 'PENDING' then 1 end) as pending_orders,
        count(case when order_status = 'PROCESSING' then 1 end) as processing_orders,
        count(case when order_status = 'SHIPPED' then 1 end) as shipped_orders,
        count(case when order_status = 'DELIVERED' then 1 end) as delivered_orders,
        count(case when order_status = 'CANCELED' then 1 end) as canceled_orders
    from orders
    group by order_date
),

join_new_customers as (
    select
        count_orders.*,
        coalesce(count_new_customers.new_customers, 0) as new_customers
    from count_orders
    left join count_new_customers on count_orders.metric_date = count_new_customers.metric_date
)

select * from join_new_customers
