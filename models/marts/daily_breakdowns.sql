{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_days(ref('int_visit_day_fingerprints'), 'breakdown_date') }}",
    )
}}
-- One row per reporting day x dimension x value: human visits cut by each visit dimension
-- (footfall__visit_dimensions: channel, device, browser, OS, country, city, landing page,
-- referrer, campaign), plus dimension 'all' (value 'all') with the day's totals.
-- visitors are distinct persons within the day and value; do not sum them over days.
-- Incremental by day: a run rebuilds only the days whose visits changed, told by the
-- fingerprint of the day's visits each row keeps (int_visit_day_fingerprints).
{%- set rebuild_days = changed_days(ref('int_visit_day_fingerprints'), 'breakdown_date') %}

with

sessions as {{ footfall.inline_cte() }} (
    -- scanned once per cut: re-reading the columns each cut needs beats buffering the table
    select * from {{ ref('sessions') }}
    {%- if rebuild_days is not none %}
    where {{ on_days('visit_date', rebuild_days) }}
    {%- endif %}
),

day_fingerprints as (
    select * from {{ ref('int_visit_day_fingerprints') }}
),

{%- set aggregates %}
        count(*) as visits,
        count(distinct person_id) as visitors,
        sum(page_views) as page_views,
        count(case when is_bounce then 1 end) as bounced_visits,
        count(case when is_engaged then 1 end) as engaged_visits,
        count(case when is_converted then 1 end) as converted_visits,
        sum(orders) as orders,
        sum(sales) as sales
{%- endset %}

count_by_dimension as (
    {{- cut_by_visit_dimensions('sessions', 'visit_date', aggregates) }}
),

compute_rates as (
    select
        visit_date as breakdown_date,
        dimension,
        dimension_value,
        visits,
        visitors,
        cast(page_views as {{ dbt.type_bigint() }}) as page_views,
        bounced_visits,
        engaged_visits,
        converted_visits,
        cast(orders as {{ dbt.type_bigint() }}) as orders,
        cast(sales as decimal(18, 2)) as sales,
        {{ rate('bounced_visits', 'visits') }} as bounce_rate,
        {{ rate('engaged_visits', 'visits') }} as engagement_rate,
        {{ rate('converted_visits', 'visits') }} as conversion_rate
    from count_by_dimension
),

attach_fingerprints as (
    select
        compute_rates.*,
        day_fingerprints.visits_fingerprint
    from compute_rates
    inner join day_fingerprints on compute_rates.breakdown_date = day_fingerprints.visit_date
)

select * from attach_fingerprints
