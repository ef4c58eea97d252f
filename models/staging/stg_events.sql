-- One row per event: the first-received copy of each event_id (DESIGN: duplicates count once).
-- For analysts and checks; the pipeline's incremental models apply the same rule themselves.
with

landed_events as (
    select * from {{ ref('stg_events_landed') }}
),

rank_copies as (
    select
        *,
        row_number() over (
            partition by event_id
            order by {{ events_first_received_order() }}
        ) as copy_number
    from landed_events
),

keep_first_received as (
    select
        event_id,
        visitor_id,
        is_cookieless,
        event_type,
        page,
        product_id,
        metadata,
        referrer,
        referrer_host,
        is_internal_referrer,
        referrer_kind,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        customer_id,
        event_at,
        received_at,
        client_at,
        sent_at,
        received_date,
        ip_prefix,
        user_agent,
        device_type,
        browser,
        browser_version,
        os,
        os_version,
        is_bot,
        country_code,
        country,
        region,
        city
    from rank_copies
    where copy_number = 1
)

select * from keep_first_received
