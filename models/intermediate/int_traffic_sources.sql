-- One row per distinct traffic source of the visits (normalised utm_source, utm_medium,
-- whether any UTM was set, external referrer host) with its channel: DESIGN's seven rules,
-- first match wins. UTM beats referrer: when utm_source is set it alone names the source.
-- Search engines and social networks come from the referrer_sources seed.
with

visits as (
    select * from {{ ref('int_visits') }}
),

referrer_sources as (
    select * from {{ ref('referrer_sources') }}
),

list_traffic_sources as (
    select distinct
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        coalesce(
            utm_source is not null
            or utm_medium is not null
            or utm_campaign is not null
            or utm_term is not null
            or utm_content is not null,
            false
        ) as has_utm,
        referrer_host
    from visits
),

pick_source_names as (
    select
        *,
        coalesce(utm_source, referrer_host) as source_name,
        utm_source is not null as is_utm_source
    from list_traffic_sources
),

list_source_names as (
    select distinct
        source_name,
        is_utm_source
    from pick_source_names
),

match_known_sources as (
    select
        named.source_name,
        named.is_utm_source,
        {{ dbt.bool_or("known.kind = 'search'") }} as is_search,
        {{ dbt.bool_or("known.kind = 'social'") }} as is_social
    from list_source_names as named
    inner join referrer_sources as known
        on
            {{ footfall.host_matches('named.source_name', 'lower(known.host)') }}
            or (named.is_utm_source and named.source_name = lower(known.source_name))
    group by named.source_name, named.is_utm_source
),

classify_channels as (
    select
        sources.utm_source,
        sources.utm_medium,
        sources.has_utm,
        sources.referrer_host,
        case
            when sources.utm_medium in ('email', 'e-mail') then 'Email'
            when
                (
                    sources.utm_medium in ('cpc', 'ppc', 'paid search')
                    or sources.utm_medium like 'paid%'
                )
                and coalesce(known.is_search, false)
                then 'Paid Search'
            when coalesce(known.is_social, false) then 'Social'
            when coalesce(known.is_search, false) or sources.utm_medium = 'organic'
                then 'Organic Search'
            when
                (sources.utm_source is null and sources.referrer_host is not null)
                or sources.utm_medium = 'referral'
                then 'Referral'
            when sources.referrer_host is null and not sources.has_utm then 'Direct'
            else 'Other'
        end as channel
    from pick_source_names as sources
    left join match_known_sources as known
        on
            sources.source_name = known.source_name
            and sources.is_utm_source = known.is_utm_source
)

select * from classify_channels
