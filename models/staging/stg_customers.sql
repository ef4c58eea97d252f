-- One row per customer: the newest record the shop sent (a guest becoming REGISTERED).
with

customer_updates as (
    select * from {{ lake_source('lake', 'raw_customers') }}
),

rank_updates as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, received_at desc, customer_type desc
        ) as update_rank
    from customer_updates
),

keep_current_record as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        email_hash,
        upper(customer_type) as customer_type,
        updated_at,
        received_at
    from rank_updates
    where update_rank = 1
)

select * from keep_current_record
