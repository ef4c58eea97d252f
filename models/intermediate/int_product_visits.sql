{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_refreshed_visitors(
            ref('int_events_landed'), ref('int_orders_current')
        ) }}",
    )
}}
-- One row per human visit x product it viewed or added to cart: event counts, and whether
-- an order attributed to the visit contains the product. An event belongs to the visit of
-- its visitor whose first and last event times enclose it (one visitor's visits never
-- overlap). Incremental by visitor, like sessions.
{%- set refresh = visitors_to_refresh(ref('int_events_landed'), ref('int_orders_current')) %}

with
{%- if refresh %}

find_refreshed_visitors as (
    -- once for both filters below (it reads the orders' lake files)
    {{ refresh }}
),
{%- endif %}

events as {{ footfall.narrowed_cte(refresh is not none) }} (
    select * from {{ ref('int_events_landed') }}
    {%- if refresh %}
    where visitor_id in (select find_refreshed_visitors.visitor_id from find_refreshed_visitors)
    {%- endif %}
),

all_visits as {{ footfall.narrowed_cte(refresh is not none) }} (
    select * from {{ ref('int_visits') }}
    {%- if refresh %}
    where visitor_id in (select find_refreshed_visitors.visitor_id from find_refreshed_visitors)
    {%- endif %}
),

product_events as (
    select * from events
    where
        not is_duplicate
        and product_id is not null
        and event_type in ('product_view', 'add_to_cart')
),

visits as (
    select * from all_visits
    where not is_bot_visitor
),

attributed_orders as (
    select * from {{ ref('int_orders_attributed') }}
    where visit_id is not null
),

order_items as (
    select * from {{ ref('int_order_items_current') }}
),

count_product_events as (
    select
        visits.visit_id,
        visits.visitor_id,
        visits.started_at,
        product_events.product_id,
        count(case when product_events.event_type = 'product_view' then 1 end) as product_views,
        count(case when product_events.event_type = 'add_to_cart' then 1 end) as add_to_carts
    from product_events
    inner join visits
        on
            product_events.visitor_id = visits.visitor_id
            and product_events.event_at between visits.started_at and visits.ended_at
    group by visits.visit_id, visits.visitor_id, visits.started_at, product_events.product_id
),

list_purchased_products as (
    select distinct
        attributed_orders.visit_id,
        order_items.product_id
    from attributed_orders
    inner join order_items on attributed_orders.order_id = order_items.order_id
),

flag_purchases as (
    select
        count_product_events.visit_id,
        count_product_events.visitor_id,
        count_product_events.started_at,
        count_product_events.product_id,
        count_product_events.product_views,
        count_product_events.add_to_carts,
        list_purchased_products.visit_id is not null as is_purchased,
        cast('{{ run_started_at }}' as {{ footfall.type_utc_timestamp() }}) as loaded_at
    from count_product_events
    left join list_purchased_products
        on
            count_product_events.visit_id = list_purchased_products.visit_id
            and count_product_events.product_id = list_purchased_products.product_id
)

select * from flag_purchases
