{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='visitor_id',
        on_schema_change='fail',
    )
}}
-- One row per landed copy of an event, flagged is_duplicate unless it is the first-received
-- copy of its event_id: the store the incremental models rebuild visitors from. Narrow
-- (stored_event_columns): a visit's landing attributes are read from the lake by int_visits.
-- Incremental (Snowplow's pattern, by lake partition): a run re-reads the lake days within
-- footfall__lookback_days of the newest received_at it holds that gained rows since
-- (lake_days_to_reread), takes the visitors in them (and the owners of any event id in
-- them), and rewrites those visitors whole; a full refresh runs the same SQL on all data.
{%- set reread_days = lake_days_to_reread(ref('stg_events_landed')) %}

with

landed_events as {{ footfall.inline_cte() }} (
    select {{ stored_event_columns() }}
    from {{ ref('stg_events_landed') }}
    {%- if reread_days is not none %}
    where {{ on_days('received_date', reread_days) }}
    {%- endif %}
),

{%- if is_incremental() %}

find_affected_visitors as (
    select visitor_id from landed_events
    union distinct
    select stored.visitor_id
    from {{ this }} as stored
    inner join landed_events on stored.event_id = landed_events.event_id
),

reuse_stored_events as {{ footfall.inline_cte() }} (
    select {{ stored_event_columns() }}
    from {{ this }}
    where
        visitor_id in (select find_affected_visitors.visitor_id from find_affected_visitors)
        {%- if reread_days is not none %}
        and not {{ on_days(footfall.utc_date('received_at'), reread_days) }}
        {%- endif %}
),

{%- endif %}

collect_events as {{ footfall.inline_cte() }} (
    select * from landed_events
    {%- if is_incremental() %}
    union all
    select * from reuse_stored_events
    {%- endif %}
),

find_repeated_ids as (
    select event_id
    from collect_events
    group by event_id
    having count(*) > 1
),

flag_repeated_ids as {{ footfall.inline_cte() }} (
    select
        collect_events.*,
        find_repeated_ids.event_id is not null as is_repeated
    from collect_events
    left join find_repeated_ids on collect_events.event_id = find_repeated_ids.event_id
),

flag_duplicates as (
    select
        {{ stored_event_columns() }},
        false as is_duplicate
    from flag_repeated_ids
    where not is_repeated
    union all
    select
        {{ stored_event_columns() }},
        row_number() over (
            partition by event_id order by {{ events_first_received_order() }}
        ) > 1 as is_duplicate
    from flag_repeated_ids
    where is_repeated
),

stamp_load as (
    select
        *,
        cast('{{ run_started_at }}' as {{ footfall.type_utc_timestamp() }}) as loaded_at
    from flag_duplicates
)

select * from stamp_load
