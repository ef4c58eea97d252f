-- One row per landed copy of an event (duplicates included): renamed, cast, blanks as null.
-- The incremental sessionization reads this, so it can find what landed since its last run.
with

landed_events as (
    select * from {{ lake_source('lake', 'enriched_events') }}
),

clean_columns as (
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        coalesce(is_cookieless, false) as is_cookieless,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        nullif(trim(page), '') as page,
        nullif(trim(product_id), '') as product_id,
        metadata,
        nullif(trim(referrer), '') as referrer,
        nullif(lower(trim(referrer_host)), '') as referrer_host,
        coalesce(is_internal_referrer, false) as is_internal_referrer,
        referrer_kind,
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(utm_term), '') as utm_term,
        nullif(trim(utm_content), '') as utm_content,
        nullif(trim(customer_id), '') as customer_id,
        event_at,
        received_at,
        client_ts as client_at,
        sent_at,
        cast(date as date) as received_date,
        ip_prefix,
        user_agent,
        device_type,
        browser,
        browser_version,
        os,
        os_version,
        coalesce(is_bot, false) as is_bot,
        country_code,
        country,
        region,
        city
    from landed_events
)

select * from clean_columns
