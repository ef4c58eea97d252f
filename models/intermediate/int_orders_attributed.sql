-- One row per order: the human visit it converted, if any. A visit of the order's visitor
-- converts when it is open at created_at (started_at <= created_at <= ended_at + timeout);
-- if several are, the latest-started wins. Orders with no such visit stay unattributed.
with

orders as (
    select * from {{ ref('int_orders_current') }}
),

visits as (
    select * from {{ ref('int_visits') }}
    where not is_bot_visitor
),

find_open_visits as (
    select
        orders.order_id,
        visits.visit_id,
        row_number() over (
            partition by orders.order_id
            order by visits.started_at desc, visits.visit_id asc
        ) as visit_rank
    from orders
    inner join visits
        on
            orders.visitor_id = visits.visitor_id
            and orders.created_at >= visits.started_at
            and orders.created_at <= {{ dbt.dateadd(
                'minute', var('footfall__session_timeout_minutes'), 'visits.ended_at'
            ) }}
),

attribute_orders as (
    select
        orders.order_id,
        orders.visitor_id,
        orders.created_at,
        open_visits.visit_id
    from orders
    left join find_open_visits as open_visits
        on
            orders.order_id = open_visits.order_id
            and open_visits.visit_rank = 1
)

select * from attribute_orders
