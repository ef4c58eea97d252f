-- One row per customer (from customer records or orders): GUEST or REGISTERED, first and
-- last order dates, orders placed, total spent on PAID orders and average PAID order value.
with

customer_records as (
    select * from {{ ref('stg_customers') }}
),

orders as (
    select * from {{ ref('orders') }}
    where customer_id is not null
),

summarise_orders as (
    select
        customer_id,
        {{ dbt.bool_or("customer_type = 'REGISTERED'") }} as has_registered_order,
        min(created_at) as first_order_at,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as total_orders,
        count(case when is_paid then 1 end) as paid_orders,
        coalesce(sum(case when is_paid then total end), 0) as total_spent
    from orders
    group by customer_id
),

list_customers as (
    select customer_id from customer_records
    where customer_id is not null
    union distinct
    select customer_id from summarise_orders
),

join_customer_facts as (
    select
        list_customers.customer_id,
        case
            when
                customer_records.customer_type = 'REGISTERED'
                or summarise_orders.has_registered_order
                then 'REGISTERED'
            else 'GUEST'
        end as customer_type,
        customer_records.updated_at as record_updated_at,
        summarise_orders.first_order_at,
        summarise_orders.first_order_date,
        summarise_orders.last_order_date,
        coalesce(summarise_orders.total_orders, 0) as total_orders,
        coalesce(summarise_orders.paid_orders, 0) as paid_orders,
        cast(coalesce(summarise_orders.total_spent, 0) as decimal(18, 2)) as total_spent,
        {{ money_ratio('summarise_orders.total_spent', 'summarise_orders.paid_orders') }}
            as average_order_value
    from list_customers
    left join customer_records on list_customers.customer_id = customer_records.customer_id
    left join summarise_orders on list_customers.customer_id = summarise_orders.customer_id
)

select * from join_customer_facts
