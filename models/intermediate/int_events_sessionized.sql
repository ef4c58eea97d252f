{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_refreshed_visitors(ref('int_events_landed')) }}",
    )
}}
-- One row per event (duplicates left out), assigned to its visitor's visit: a new visit
-- starts where the gap to the visitor's previous event exceeds the timeout; a visit may
-- cross midnight. Also flags the ordered funnel steps. Narrow on purpose (sorting wide rows
-- is what makes windows slow): other attributes stay in int_events_landed.
-- Incremental: the pre-hook deletes the visitors int_events_landed rewrote since this
-- model's last run (their loaded_at is newer), then their rebuilt rows are appended.
{%- set loaded_since = incremental_watermark('loaded_at') %}

with

landed_events as (
    select * from {{ ref('int_events_landed') }}
    {{ where_loaded_after(loaded_since) }}
),

flag_visit_starts as (
    select
        event_id,
        visitor_id,
        event_type,
        product_id,
        event_at,
        is_bot,
        coalesce(
            event_at > {{ dbt.dateadd(
                'minute',
                var('footfall__session_timeout_minutes'),
                'lag(event_at) over by_visitor'
            ) }},
            true
        ) as is_visit_start,
        max(case when event_type = 'product_view' then event_at end)
            over (by_visitor rows between unbounded preceding and current row)
            as last_product_view_at
    from landed_events
    where not is_duplicate
    window by_visitor as (partition by visitor_id order by event_at, event_id)
),

date_visits as (
    select
        *,
        max(case when is_visit_start then event_at end) over by_visitor as visit_started_at,
        sum(case when is_visit_start then 1 else 0 end) over by_visitor as visit_number,
        -- latest product_view preceding any add_to_cart so far: a funnel cart exists in the
        -- visit when that product_view lies in the visit
        max(case when event_type = 'add_to_cart' then last_product_view_at end)
            over by_visitor as last_carted_view_at
    from flag_visit_starts
    window by_visitor as (
        partition by visitor_id order by event_at, event_id
        rows between unbounded preceding and current row
    )
),

flag_funnel_steps as (
    select
        event_id,
        visitor_id,
        event_type,
        product_id,
        event_at,
        is_bot,
        is_visit_start,
        cast(visit_number as {{ dbt.type_int() }}) as visit_number,
        visit_started_at,
        coalesce(
            event_type = 'add_to_cart' and last_product_view_at >= visit_started_at, false
        ) as is_funnel_cart,
        coalesce(
            event_type = 'checkout_started' and last_carted_view_at >= visit_started_at, false
        ) as is_funnel_checkout,
        cast('{{ run_started_at }}' as {{ footfall.type_utc_timestamp() }}) as loaded_at
    from date_visits
)

select * from flag_funnel_steps
