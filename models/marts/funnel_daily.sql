{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed_days(
            ref('int_visit_day_fingerprints'), 'funnel_date', 'funnel_fingerprint'
        ) }}",
    )
}}
-- One row per reporting day x dimension x value x funnel step: human visits reaching each
-- ordered step (visit -> product_view -> add_to_cart -> checkout_started -> purchase; a step
-- counts only after the previous one in the same visit). Dimension 'all' is the whole day.
-- Incremental by day: a run rebuilds only the days whose funnel inputs changed, told by the
-- fingerprint of the day's visits' funnel_visit_columns each row keeps
-- (int_visit_day_fingerprints.funnel_fingerprint): read another sessions column here and
-- add it to funnel_visit_columns.
{%- set rebuild_days = changed_days(
    ref('int_visit_day_fingerprints'), 'funnel_date', 'funnel_fingerprint'
) %}

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
        count(*) as step_0_visits,
        count(case when funnel_step >= 1 then 1 end) as step_1_visits,
        count(case when funnel_step >= 2 then 1 end) as step_2_visits,
        count(case when funnel_step >= 3 then 1 end) as step_3_visits,
        count(case when funnel_step >= 4 then 1 end) as step_4_visits
{%- endset %}

count_steps as (
    {{- cut_by_visit_dimensions('sessions', 'visit_date', aggregates) }}
),

list_steps as (
    select
        steps.step_number,
        steps.step_name
    from (
        values
        (1, 'visit'),
        (2, 'product_view'),
        (3, 'add_to_cart'),
        (4, 'checkout_started'),
        (5, 'purchase')
    ) as steps (step_number, step_name)
),

unpivot_steps as (
    select
        count_steps.visit_date as funnel_date,
        count_steps.dimension,
        count_steps.dimension_value,
        list_steps.step_number,
        list_steps.step_name,
        case list_steps.step_number
            when 1 then count_steps.step_0_visits
            when 2 then count_steps.step_1_visits
            when 3 then count_steps.step_2_visits
            when 4 then count_steps.step_3_visits
            else count_steps.step_4_visits
        end as visits,
        case list_steps.step_number
            when 1 then count_steps.step_0_visits
            when 2 then count_steps.step_0_visits
            when 3 then count_steps.step_1_visits
            when 4 then count_steps.step_2_visits
            else count_steps.step_3_visits
        end as previous_step_visits,
        count_steps.step_0_visits as first_step_visits
    from count_steps
    cross join list_steps
),

compute_rates as (
    select
        *,
        {{ rate('visits', 'previous_step_visits') }} as step_rate,
        {{ rate('visits', 'first_step_visits') }} as overall_rate
    from unpivot_steps
),

attach_fingerprints as (
    select
        compute_rates.*,
        day_fingerprints.funnel_fingerprint as visits_fingerprint
    from compute_rates
    inner join day_fingerprints on compute_rates.funnel_date = day_fingerprints.visit_date
)

select * from attach_fingerprints
