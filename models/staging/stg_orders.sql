-- One row per order: its current state, the status row with the newest updated_at
-- (ties: the one received last). Every status change is a new row in the lake.
with

order_updates as (
    select * from {{ lake_source('lake', 'raw_orders') }}
),

rank_updates as (
    select
        *,
        row_number() over (
            partition by order_id
            order by
                updated_at desc,
                received_at desc,
                order_status asc,
                payment_status asc
        ) as update_rank,
        count(*) over (partition by order_id) as status_rows
    from order_updates
),

keep_current_state as (
    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        order_number,
        nullif(trim(visitor_id), '') as visitor_id,
        nullif(trim(customer_id), '') as customer_id,
        email_hash,
        upper(customer_type) as customer_type,
        items,
        subtotal,
        tax,
        shipping,
        total,
        upper(currency) as currency,
        upper(order_status) as order_status,
        upper(payment_status) as payment_status,
        created_at,
        updated_at,
        received_at,
        cast(date as date) as received_date,
        status_rows
    from rank_updates
    where update_rank = 1
)

select * from keep_current_state
