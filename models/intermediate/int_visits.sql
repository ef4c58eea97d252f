{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_refreshed_visitors(ref('int_events_landed')) }}",
    )
}}
-- One row per visit of every visitor, bots included (flagged): start and end, counts, the
-- ordered funnel steps, and the attributes of the visit's first event (landing page,
-- referrer, UTM, device, place).
-- Sessionization: a visitor's events (duplicates left out) in order of event_at, then
-- event_id; a new visit starts where the gap to the previous event exceeds the timeout; a
-- visit may cross midnight. Events are not stored with their visit (10M rows cost more to
-- write than to re-derive): int_product_visits finds an event's visit by its time, as one
-- visitor's visits never overlap.
-- The first event's attributes come from the lake copy int_events_landed kept (the same
-- events_first_received_order pick), as the store does not hold them.
-- Incremental: the pre-hook deletes the visitors int_events_landed rewrote since this
-- model's last run (their loaded_at is newer), then their rebuilt visits are appended; the
-- lake is read only on the days those visitors' events were received.
{%- set loaded_since = incremental_watermark('loaded_at') %}
{%- set attribute_days = days_received_after(ref('int_events_landed'), loaded_since) %}

with

landed_events as (
    select * from {{ ref('int_events_landed') }}
    {{ where_loaded_after(loaded_since) }}
),

lake_events as (
    select * from {{ ref('stg_events_landed') }}
    {%- if attribute_days is not none %}
    where {{ on_days('received_date', attribute_days) }}
    {%- endif %}
),

flag_visit_starts as (
    select
        event_id,
        visitor_id,
        event_type,
        event_at,
        is_bot,
        loaded_at,
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

aggregate_visits as (
    select
        visitor_id,
        visit_started_at as started_at,
        cast(visit_number as {{ dbt.type_int() }}) as visit_number,
        max(event_at) as ended_at,
        max(loaded_at) as loaded_at,
        count(*) as event_count,
        count(case when event_type = 'page_view' then 1 end) as page_views,
        count(case when event_type = 'product_view' then 1 end) as product_views,
        count(case when event_type = 'add_to_cart' then 1 end) as add_to_carts,
        count(case when event_type = 'checkout_started' then 1 end) as checkouts,
        {{ dbt.bool_or(
            "coalesce(event_type = 'add_to_cart' and last_product_view_at >= visit_started_at,"
            ~ " false)"
        ) }} as has_funnel_cart,
        min(
            case
                when event_type = 'checkout_started' and last_carted_view_at >= visit_started_at
                    then event_at
            end
        ) as funnel_checkout_at,
        {{ dbt.bool_or('is_bot') }} as has_bot_event,
        max(case when is_visit_start then event_id end) as first_event_id
    from date_visits
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

find_first_event_copies as (
    -- a semi-join on the visits' first event ids: DuckDB hashes those ids and probes them
    -- with the lake's rows, keeping its attribute columns out of the hash table
    select
        event_id,
        received_at,
        event_at,
        visitor_id,
        event_type,
        page,
        product_id,
        {{ first_event_attribute_columns() }}
    from lake_events
    where event_id in (select aggregate_visits.first_event_id from aggregate_visits)
),

find_repeated_ids as (
    select event_id
    from find_first_event_copies
    group by event_id
    having count(*) > 1
),

rank_repeated_copies as (
    -- ranking just the repeated ids spares a window over millions of one-row partitions
    select
        *,
        row_number() over (
            partition by event_id
            order by {{ events_first_received_order() }}, {{ first_event_attribute_columns() }}
        ) as copy_rank
    from find_first_event_copies
    where event_id in (select find_repeated_ids.event_id from find_repeated_ids)
),

find_first_events as (
    -- the copy int_events_landed kept: the only one, or the first by its order (the
    -- attributes only break ties between otherwise identical copies)
    select
        event_id,
        page,
        {{ first_event_attribute_columns() }}
    from find_first_event_copies
    where event_id not in (select find_repeated_ids.event_id from find_repeated_ids)
    union all
    select
        event_id,
        page,
        {{ first_event_attribute_columns() }}
    from rank_repeated_copies
    where copy_rank = 1
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
    left join find_first_events as first_events
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
