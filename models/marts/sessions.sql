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
-- One row per human visit (bot and suspect visitors' visits are left out), with its
-- reporting day, landing attributes, channel, stitched person and conversion.
-- Incremental by visitor: rebuilds the visitors whose events were rewritten or who have a
-- recent order (see visitors_to_refresh); editing referrer_sources, the time zone or the
-- timeout needs a full refresh.
{%- set refresh = visitors_to_refresh(ref('int_events_landed'), ref('int_orders_current')) %}

with
{%- if refresh %}

find_refreshed_visitors as {{ footfall.narrowed_cte(true) }} (
    {{ refresh }}
),
{%- endif %}

all_visits as (
    select * from {{ ref('int_visits') }}
    {%- if refresh %}
    where visitor_id in (select find_refreshed_visitors.visitor_id from find_refreshed_visitors)
    {%- endif %}
),

traffic_sources as (
    select * from {{ ref('int_traffic_sources') }}
),

person_map as (
    select * from {{ ref('int_person_map') }}
),

visit_conversions as (
    select * from {{ ref('int_visit_conversions') }}
),

keep_human_visits as (
    select * from all_visits
    where not is_bot_visitor
),

join_visit_context as (
    select
        visits.*,
        person_map.customer_id,
        coalesce(person_map.person_id, visits.visitor_id) as person_id,
        coalesce(traffic_sources.channel, 'Direct') as channel,
        visit_conversions.visit_id is not null as is_converted,
        coalesce(visit_conversions.orders, 0) as orders,
        cast(coalesce(visit_conversions.sales, 0) as decimal(18, 2)) as sales,
        visit_conversions.last_order_at
    from keep_human_visits as visits
    left join person_map on visits.visitor_id = person_map.visitor_id
    left join traffic_sources
        on
            lower(visits.utm_source) is not distinct from traffic_sources.utm_source
            and lower(visits.utm_medium) is not distinct from traffic_sources.utm_medium
            and visits.referrer_host is not distinct from traffic_sources.referrer_host
            and coalesce(
                visits.utm_source is not null
                or visits.utm_medium is not null
                or visits.utm_campaign is not null
                or visits.utm_term is not null
                or visits.utm_content is not null,
                false
            ) = traffic_sources.has_utm
    left join visit_conversions on visits.visit_id = visit_conversions.visit_id
),

derive_visit_flags as (
    select
        *,
        page_views = 1 and event_count = 1 as is_bounce,
        duration_us >= {{ var('footfall__engaged_visit_seconds') }} * 1000000
        or page_views >= 2
        or is_converted as is_engaged,
        case
            when funnel_checkout_at is not null and last_order_at >= funnel_checkout_at then 4
            when funnel_checkout_at is not null then 3
            when has_funnel_cart then 2
            when product_views > 0 then 1
            else 0
        end as funnel_step
    from join_visit_context
),

choose_columns as (
    select
        visit_id,
        visitor_id,
        person_id,
        customer_id,
        {{ to_reporting_date('started_at') }} as visit_date,
        started_at,
        ended_at,
        duration_us / 1000000.0 as duration_s,
        page_views,
        landing_page,
        referrer_host as referrer,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        browser,
        os,
        country,
        city,
        is_bounce,
        is_engaged,
        add_to_carts > 0 as has_add_to_cart,
        checkouts > 0 as has_checkout,
        is_converted,
        visit_number,
        event_count,
        product_views,
        add_to_carts,
        checkouts,
        funnel_step,
        orders,
        sales,
        referrer_url,
        utm_term,
        utm_content,
        country_code,
        region,
        cast('{{ run_started_at }}' as {{ footfall.type_utc_timestamp() }}) as loaded_at
    from derive_visit_flags
)

select * from choose_columns
