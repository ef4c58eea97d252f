-- One row per reporting day with a human visit: visit counts, persons, and the counts the
-- daily rates are made of (daily_metrics turns them into rates).
with

sessions as (
    select * from {{ ref('sessions') }}
),

find_first_visit_days as (
    select
        person_id,
        min(visit_date) as first_visit_date
    from sessions
    group by person_id
),

count_new_users as (
    select
        first_visit_date as metric_date,
        count(*) as new_users
    from find_first_visit_days
    group by first_visit_date
),

count_visits as (
    select
        visit_date as metric_date,
        count(*) as total_visits,
        count(distinct person_id) as unique_visitors,
        sum(page_views) as total_page_views,
        -- summed as decimals: a float sum depends on row order, and reruns must agree exactly
        cast(sum(cast(duration_s as decimal(38, 6))) as double) as total_duration_s,
        count(case when is_bounce then 1 end) as bounced_visits,
        count(case when is_engaged then 1 end) as engaged_visits,
        count(case when has_add_to_cart then 1 end) as cart_visits,
        count(case when has_add_to_cart and has_checkout then 1 end) as cart_checkout_visits,
        count(case when has_checkout then 1 end) as checkout_visits,
        count(case when has_checkout and is_converted then 1 end) as checkout_converted_visits,
        count(case when is_converted then 1 end) as converted_visits
    from sessions
    group by visit_date
),

join_new_users as (
    select
        count_visits.*,
        coalesce(count_new_users.new_users, 0) as new_users
    from count_visits
    left join count_new_users on count_visits.metric_date = count_new_users.metric_date
)

select * from join_new_users
