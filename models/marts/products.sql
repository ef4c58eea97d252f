-- One row per product seen in a human visit or sold: views, add-to-carts, units sold and
-- revenue (PAID orders), and visit-based view->cart and cart->purchase rates.
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

summarise_visits as (
    select
        product_id,
        sum(product_views) as product_views,
        sum(add_to_carts) as add_to_carts,
        count(case when product_views > 0 then 1 end) as view_visits,
        count(case when add_to_carts > 0 then 1 end) as cart_visits,
        count(case when product_views > 0 and add_to_carts > 0 then 1 end) as view_cart_visits,
        count(case when add_to_carts > 0 and is_purchased then 1 end) as cart_purchase_visits
    from product_visits
    group by product_id
),

rank_item_names as (
    select
        order_items.product_id,
        order_items.product_name,
        row_number() over (
            partition by order_items.product_id
            order by orders.created_at desc, order_items.order_id desc, order_items.item_number asc
        ) as name_rank
    from order_items
    inner join orders on order_items.order_id = orders.order_id
    where order_items.product_id is not null
),

summarise_sales as (
    select
        order_items.product_id,
        sum(order_items.quantity) as units_sold,
        sum(order_items.line_total) as revenue
    from order_items
    inner join orders on order_items.order_id = orders.order_id
    where orders.is_paid and order_items.product_id is not null
    group by order_items.product_id
),

list_products as (
    select product_id from summarise_visits
    union distinct
    select product_id from rank_item_names
),

join_product_facts as (
    select
        list_products.product_id,
        rank_item_names.product_name,
        cast(coalesce(summarise_visits.product_views, 0) as {{ dbt.type_bigint() }})
            as product_views,
        cast(coalesce(summarise_visits.add_to_carts, 0) as {{ dbt.type_bigint() }})
            as add_to_carts,
        cast(coalesce(summarise_sales.units_sold, 0) as {{ dbt.type_bigint() }})
            as units_sold,
        cast(coalesce(summarise_sales.revenue, 0) as decimal(18, 2)) as revenue,
        coalesce(summarise_visits.view_visits, 0) as view_visits,
        coalesce(summarise_visits.cart_visits, 0) as cart_visits,
        {{ rate('summarise_visits.view_cart_visits', 'summarise_visits.view_visits') }}
            as view_to_cart_rate,
        {{ rate('summarise_visits.cart_purchase_visits', 'summarise_visits.cart_visits') }}
            as cart_to_purchase_rate
    from list_products
    left join summarise_visits on list_products.product_id = summarise_visits.product_id
    left join summarise_sales on list_products.product_id = summarise_sales.product_id
    left join rank_item_names
        on
            list_products.product_id = rank_item_names.product_id
            and rank_item_names.name_rank = 1
)

select * from join_product_facts
