-- One row per reporting day (footfall__reporting_timezone) from the first to the last day
-- with any visit, order or bot traffic, zero-filled: the dashboard's daily numbers.
-- Rates are 0..100 and 0 when their denominator is 0.
with

visit_metrics as (
    select * from {{ ref('int_daily_visit_metrics') }}
),

order_metrics as (
    select * from {{ ref('int_daily_order_metrics') }}
),

bot_volume as (
    select * from {{ ref('int_daily_bot_volume') }}
),

sales_goals as (
    select * from {{ ref('sales_goals') }}
),

collect_active_days as (
    select metric_date from visit_metrics
    union all
    select metric_date from order_metrics
    union all
    select metric_date from bot_volume
),

list_days as (
    select series_date as metric_date
    from {{ date_series(
        '(select min(metric_date) from collect_active_days)',
        '(select max(metric_date) from collect_active_days)'
    ) }}
),

pick_sales_goals as (
    select
        list_days.metric_date,
        sales_goals.daily_goal,
        row_number() over (
            partition by list_days.metric_date order by sales_goals.valid_from desc
        ) as goal_rank
    from list_days
    inner join sales_goals on list_days.metric_date >= sales_goals.valid_from
),

join_day_metrics as (
    select
        list_days.metric_date,
        {{ daily_count_columns() }},
        coalesce(visit_metrics.total_duration_s, 0) as total_duration_s,
        cast(coalesce(order_metrics.total_sales, 0) as decimal(18, 2)) as total_sales,
        cast(
            coalesce(pick_sales_goals.daily_goal, {{ var('footfall__default_daily_sales_goal') }})
            as decimal(18, 2)
        ) as sales_goal
    from list_days
    left join visit_metrics on list_days.metric_date = visit_metrics.metric_date
    left join order_metrics on list_days.metric_date = order_metrics.metric_date
    left join bot_volume on list_days.metric_date = bot_volume.metric_date
    left join pick_sales_goals
        on
            list_days.metric_date = pick_sales_goals.metric_date
            and pick_sales_goals.goal_rank = 1
),

compute_rates as (
    select
        metric_date,
        total_visits,
        unique_visitors,
        new_users,
        unique_visitors - new_users as existing_users,
        total_page_views,
        case when total_visits = 0 then 0.0 else 1.0 * total_page_views / total_visits end
            as avg_page_views_per_visit,
        case when total_visits = 0 then 0.0 else total_duration_s / total_visits end
            as avg_visit_duration_s,
        {{ rate('bounced_visits', 'total_visits') }} as bounce_rate,
        {{ rate('engaged_visits', 'total_visits') }} as engagement_rate,
        {{ rate('cart_visits', 'total_visits') }} as cart_rate,
        {{ rate('cart_checkout_visits', 'cart_visits') }} as checkout_rate,
        {{ rate('checkout_converted_visits', 'checkout_visits') }} as purchase_rate,
        {{ rate('converted_visits', 'total_visits') }} as conversion_rate,
        total_sales,
        total_orders,
        {{ money_ratio('total_sales', 'total_orders') }} as average_order_value,
        new_customers,
        pending_orders,
        processing_orders,
        shipped_orders,
        delivered_orders,
        canceled_orders,
        sales_goal,
        {{ rate('total_sales', 'sales_goal') }} as sales_goal_progress,
        bot_events,
        bot_visits,
        created_orders,
        bounced_visits,
        engaged_visits,
        cart_visits,
        checkout_visits,
        converted_visits
    from join_day_metrics
)

select * from compute_rates
