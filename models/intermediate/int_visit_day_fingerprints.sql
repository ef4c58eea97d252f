-- One row per reporting day with a human visit: its visits and an order-independent
-- fingerprint of their content (every sessions column except the loaded_at bookkeeping).
-- The per-day marts keep the fingerprint each day was built from and rebuild exactly the
-- days whose fingerprint changed: a visit added, removed or altered. A returning visitor
-- rebuilt whole by the incremental sessions run, with the same old visits, changes nothing.
-- funnel_fingerprint covers only what funnel_daily reads (funnel_visit_columns): the
-- stitching and order-status changes that touch most old days each run (person_id, sales)
-- leave it alone, so funnel_daily rebuilds just the days with new or late events.
{%- set content_columns = relation_columns(ref('sessions'), exclude=['loaded_at']) %}

with

sessions as (
    select * from {{ ref('sessions') }}
),

fingerprint_days as (
    select
        visit_date,
        count(*) as visits,
        {{ content_fingerprint(content_columns) }} as visits_fingerprint,
        {{ content_fingerprint(funnel_visit_columns()) }} as funnel_fingerprint
    from sessions
    group by visit_date
)

select * from fingerprint_days
