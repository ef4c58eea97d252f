-- One row per visitor linked to a customer: the customer it was most recently linked to,
-- by an order (its visitor at checkout) or by an identified event (customerId on the event).
-- Person stitching: person_id = that customer_id; unlinked visitors are their own person.
with

orders as (
    select * from {{ ref('int_orders_current') }}
),

events as (
    select * from {{ ref('int_events_landed') }}
),

collect_links as (
    select
        visitor_id,
        customer_id,
        created_at as linked_at
    from orders
    where visitor_id is not null and customer_id is not null
    union all
    select
        visitor_id,
        customer_id,
        event_at as linked_at
    from events
    where customer_id is not null and not is_duplicate
),

rank_links as (
    select
        *,
        row_number() over (
            partition by visitor_id order by linked_at desc, customer_id desc
        ) as link_rank,
        count(distinct customer_id) over (partition by visitor_id) as linked_customers
    from collect_links
),

keep_latest_link as (
    select
        visitor_id,
        customer_id,
        customer_id as person_id,
        linked_at,
        linked_customers
    from rank_links
    where link_rank = 1
)

select * from keep_latest_link
