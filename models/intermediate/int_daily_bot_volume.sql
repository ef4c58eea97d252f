-- One row per reporting day with bot traffic: the visits and events left out of every
-- metric because their visitor is a bot (user agent) or had a suspect (> 24 h) visit.
-- A visit's events count on the day the visit started, like every visit metric.
with

visits as (
    select * from {{ ref('int_visits') }}
    where is_bot_visitor
),

count_bot_traffic as (
    select
        {{ to_reporting_date('started_at') }} as metric_date,
        count(*) as bot_visits,
        sum(event_count) as bot_events
    from visits
    group by {{ to_reporting_date('started_at') }}
)

select * from count_bot_traffic
