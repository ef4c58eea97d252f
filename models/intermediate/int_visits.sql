{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_refreshed_visitors(ref('int_events_landed')) }}",
    )
}}
-- One row per visit of every visitor, bots included (flagged): counts, the ordered funnel
-- steps, and the attributes of the visit's first event (landing page, referrer, UTM, device,
-- place). Incremental: the pre-hook deletes the visitors int_events_landed rewrote since
-- this model's last run, then their rebuilt visits are appended.
{%- set loaded_since = incremental_watermark('loaded_at') %}

with

events as (
    select * from {{ ref('int_events_sessionized') }}
    {{ where_loaded_after(loaded_since) }}
),

landed_events as (
    select * from {{ ref('int_events_landed') }}
    {{ where_loaded_after(loaded_since) }}
),

aggregate_visits as (
    select
        visitor_id,
        visit_started_at as started_at,
        visit_number,
        max(event_at) as ended_at,
        max(loaded_at) as loaded_at,
        count(*) as event_count,
        count(case when event_type = 'page_view' then 1 end) as page_views,
        count(case when event_type = 'product_view' then 1 end) as product_views,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
        count(case when event_type = 'checkout_started' then 1 end) as checkouts,
        {{ dbt.bool_or('is_funnel_cart') }} as has_funnel_cart,
        min(case when is_funnel_checkout then event_at end) as funnel_checkout_at,
        {{ dbt.bool_or('is_bot') }} as has_bot_event,
        max(case when is_visit_start then event_id end) as first_event_id
    from events
    group by visitor_id, visit_started_at, visit_number
),

find_bot_visitors as (
    select visitor_id
    from aggregate_visits
    group by visitor_id
    having
        {{ dbt.bool_or(
            'has_bot_event or '
            ~ dbt.datediff('started_at', 'ended_at', 'microsecond')
            ~ ' > ' ~ var('footfall__suspect_visit_hours') ~ ' * 3600000000'
        ) }}
),

find_first_events as (
    -- a semi-join on the visits' first event ids: DuckDB then hashes the (few) visits rather
    -- than every landed event with its attributes
    select * from landed_events
    where
        not is_duplicate
        and event_id in (select aggregate_visits.first_event_id from aggregate_visits)
),

join_first_events as (
    select
        aggregate_visits.*,
        first_events.page as landing_page,
        first_events.referrer as referrer_url,
        case when not first_events.is_internal_referrer then first_events.referrer_host end
            as referrer_host,
        first_events.utm_source,
        first_events.utm_medium,
        first_events.utm_campaign,
        first_events.utm_term,
        first_events.utm_content,
        first_events.device_type,
        first_events.browser,
        first_events.os,
        first_events.country_code,
        first_events.country,
        first_events.region,
        first_events.city,
        {{ dbt.datediff(
            'aggregate_visits.started_at', 'aggregate_visits.ended_at', 'microsecond'
        ) }} as duration_us,
        find_bot_visitors.visitor_id is not null as is_bot_visitor
    from aggregate_visits
    inner join find_first_events as first_events
        on aggregate_visits.first_event_id = first_events.event_id
    left join find_bot_visitors on aggregate_visits.visitor_id = find_bot_visitors.visitor_id
),

name_visits as (
    select
        {{ dbt.hash(dbt.concat(['visitor_id', "'|'", timestamp_key('started_at')])) }} as visit_id,
        *,
        duration_us > {{ var('footfall__suspect_visit_hours') }} * 3600000000 as is_suspect
    from join_first_events
)

select * from name_visits
