{#
    lake_days_to_reread(lake_relation)
        For an incremental run of the landed-event store: the lake partitions (UTC receive
        days) that hold rows this model has not seen, from footfall__lookback_days before the
        newest received_at it holds onward. A day qualifies when its row count in the lake
        differs from the rows this model holds received that day: the day new files landed
        in (the newest, and older ones a late file landed in). A list of ISO dates, possibly
        empty; none on a full refresh, at parse time, or while the model is still empty.
        Re-reading only those days (not every day of the lookback) keeps an incremental run
        to the visitors that really have new data.
        Arguments:
            lake_relation (relation): the staging view of the lake (received_date is the
                hive partition, received_at the arrival time; one landed copy per row).
#}
{% macro lake_days_to_reread(lake_relation) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with

        lookback_start as (
            -- null while the model is empty (max of no rows)
            select {{ footfall.utc_date(dbt.dateadd(
                'day', -1 * (var('footfall__lookback_days') | int), 'max(received_at)'
            )) }} as first_day
            from {{ this }}
        ),

        lake_days as (
            select
                received_date,
                count(*) as landed_rows
            from {{ lake_relation }}
            where received_date >= (select lookback_start.first_day from lookback_start)
            group by received_date
        ),

        stored_days as (
            select
                {{ footfall.utc_date('received_at') }} as received_date,
                count(*) as landed_rows
            from {{ this }}
            where
                received_at >= (
                    select {{ footfall.utc_midnight('lookback_start.first_day') }}
                    from lookback_start
                )
            group by {{ footfall.utc_date('received_at') }}
        )

        select cast(lake_days.received_date as {{ dbt.type_string() }}) as reread_day
        from lake_days
        left join stored_days on lake_days.received_date = stored_days.received_date
        where lake_days.landed_rows is distinct from stored_days.landed_rows
        union all
        select 'model is empty' from lookback_start where first_day is null
        order by 1
    {%- endset -%}
    {%- set days = run_query(query).columns[0].values() | list -%}
    {%- if 'model is empty' in days -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#
    on_days(day_expr, days)
        A condition: the date `day_expr` is one of `days` (ISO dates); false when `days` is
        empty. Literal dates, so DuckDB prunes hive partitions when `day_expr` is one.
#}
{% macro on_days(day_expr, days) -%}
    {%- if days | length == 0 -%}
        false
    {%- else -%}
        {{ day_expr }} in (
            {%- for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- endif -%}
{%- endmacro %}


{#
    incremental_watermark(column)
        For an incremental run: max(`column`) already in this model, as text; none on a
        full refresh, at parse time, or when the model is still empty.
        Arguments:
            column (string): a column that grows with every load (e.g. loaded_at).
#}
{% macro incremental_watermark(column) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max({{ column }}) as {{ dbt.type_string() }}) from {{ this }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{#
    where_loaded_after(since)
        `where loaded_at > since` for the rows rebuilt after an `incremental_watermark`;
        nothing when `since` is none (a full refresh reads every row).
        Arguments:
            since (string or none): a UTC timestamp as text.
#}
{% macro where_loaded_after(since) -%}
    {%- if since -%}
        where loaded_at > cast('{{ since }}' as {{ footfall.type_utc_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#
    inline_cte()
        Placed between `name as` and `(` of a CTE that is referenced more than once but is
        cheaper to re-run than to buffer (a lake scan, a union of wide rows): DuckDB
        materializes such CTEs by default; other engines inline them anyway.
#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'footfall')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}


{#
    narrowed_cte(narrowed)
        Placed between `name as` and `(` of a CTE that an incremental run narrows to the
        visitors it rebuilds: when `narrowed`, DuckDB computes it first (materialized), so
        the few rows it keeps, not the whole table, enter the joins after it. Left to
        itself, DuckDB's join-order optimizer probed the visitor filter only after joining
        every visit (measured on 10M events: sessions 3.5 s -> 1.5 s, int_product_visits
        4.8 s -> 1.8 s). A full refresh (`narrowed` false) leaves the CTE to the optimizer.
        Arguments:
            narrowed (bool): whether this run filters the CTE to a few visitors.
#}
{% macro narrowed_cte(narrowed) -%}
    {{ return(adapter.dispatch('narrowed_cte', 'footfall')(narrowed)) }}
{%- endmacro %}

{% macro default__narrowed_cte(narrowed) -%}
{%- endmacro %}

{% macro duckdb__narrowed_cte(narrowed) -%}
    {{ 'materialized' if narrowed }}
{%- endmacro %}


{#
    visitors_to_refresh(landed_relation, orders_relation=none)
        For an incremental run of a per-visitor model: a query listing the visitors whose
        landed events were rewritten since this model's newest loaded_at and, when
        `orders_relation` is given, the visitors of orders whose current state arrived within
        footfall__lookback_days of the newest order (a new order or status change alters
        their conversions and stitching). None on a full refresh or while the model is empty.
        Arguments:
            landed_relation (relation): int_events_landed (visitor_id, loaded_at).
            orders_relation (relation): int_orders_current (visitor_id, received_at), optional.
#}
{% macro visitors_to_refresh(landed_relation, orders_relation=none) -%}
    {%- set since = incremental_watermark('loaded_at') -%}
    {%- if not since -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select visitor_id from {{ landed_relation }}
        where loaded_at > cast('{{ since }}' as {{ footfall.type_utc_timestamp() }})
        {%- if orders_relation %}
        union
        select visitor_id from {{ orders_relation }}
        where
            visitor_id is not null
            and received_at >= (
                select {{ dbt.dateadd(
                    'day', -1 * (var('footfall__lookback_days') | int), 'max(received_at)'
                ) }}
                from {{ orders_relation }}
            )
        {%- endif %}
    {%- endset -%}
    {{ return(query) }}
{%- endmacro %}


{#
    delete_refreshed_visitors(landed_relation, orders_relation=none)
        Pre-hook of the per-visitor incremental models (append strategy): deletes the rows
        of the visitors `visitors_to_refresh` lists, so the run can append their rebuilt rows.
        A visitor left with nothing (all its events turned out to be another visitor's
        duplicates, or it turned out to be a bot) is deleted and simply not re-added.
        Renders nothing on a full refresh or while the model is empty.
#}
{% macro delete_refreshed_visitors(landed_relation, orders_relation=none) -%}
    {%- set visitors = visitors_to_refresh(landed_relation, orders_relation) -%}
    {%- if visitors -%}
        delete from {{ this }} where visitor_id in ({{ visitors }})
    {%- endif -%}
{%- endmacro %}


{#
    relation_columns(relation, exclude=[])
        The column names of `relation` (as built), minus `exclude`; empty at parse time.
#}
{% macro relation_columns(relation, exclude=[]) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower not in exclude -%}
            {%- do names.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#
    content_fingerprint(columns) -- dispatched
        An aggregate: one number that changes when any row of the group is added, removed
        or has any of `columns` altered, whatever the row order (a sum of row hashes).
        Arguments:
            columns (list of strings): the columns that make up a row's content.
#}
{% macro content_fingerprint(columns) -%}
    {{ return(adapter.dispatch('content_fingerprint', 'footfall')(columns)) }}
{%- endmacro %}

{% macro default__content_fingerprint(columns) -%}
    {{ exceptions.raise_compiler_error('content_fingerprint is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__content_fingerprint(columns) -%}
    sum(cast(hash({{ columns | join(', ') or 'null' }}) as hugeint))
{%- endmacro %}


{#
    changed_days(fingerprints_relation, day_column, fingerprint_column)
        For an incremental run of a per-day mart built from sessions (append strategy): the
        days (ISO dates) whose fingerprint in `fingerprints_relation`
        (int_visit_day_fingerprints) is not the one the mart's rows of that day were built
        from (its visits_fingerprint column): changed days, new days, and days whose visits
        are all gone. The pre-hook `delete_changed_days` deletes them and the model rebuilds
        them, both from this one list; the mart's cuts filter `sessions` by its literal
        dates (an anti-join against the mart in each of the ten cuts cost ~2 s a run on
        10M events). None on a full refresh or at parse time.
        Arguments:
            fingerprints_relation (relation): visit_date and fingerprints per day.
            day_column (string): this mart's reporting-day column.
            fingerprint_column (string): the fingerprint of the sessions columns this mart
                reads (default: all of them).
#}
{% macro changed_days(
    fingerprints_relation, day_column, fingerprint_column='visits_fingerprint'
) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(
            coalesce(current_days.visit_date, stored_days.{{ day_column }})
            as {{ dbt.type_string() }}
        )
        from {{ fingerprints_relation }} as current_days
        full outer join (
            select distinct
                {{ day_column }},
                visits_fingerprint
            from {{ this }}
        ) as stored_days
            on current_days.visit_date = stored_days.{{ day_column }}
        where
            current_days.{{ fingerprint_column }}
            is distinct from stored_days.visits_fingerprint
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}


{#
    delete_changed_days(fingerprints_relation, day_column, fingerprint_column)
        Pre-hook of the per-day marts: deletes the `changed_days`, which the run then
        appends anew. Nothing on a full refresh. Arguments as for `changed_days`.
#}
{% macro delete_changed_days(
    fingerprints_relation, day_column, fingerprint_column='visits_fingerprint'
) -%}
    {%- set days = changed_days(fingerprints_relation, day_column, fingerprint_column) -%}
    {%- if days is not none -%}
        delete from {{ this }} where {{ on_days(day_column, days) }}
    {%- endif -%}
{%- endmacro %}


{#
    days_received_after(relation, since)
        The UTC receive days (ISO dates) of the rows of `relation` loaded after `since` (an
        `incremental_watermark`): the lake partitions holding the copies int_events_landed
        keeps for the visitors an incremental run rebuilds, so int_visits finds their first
        events' attributes there. None when `since` is none (read every day).
        Arguments:
            relation (relation): a model with received_at and loaded_at columns.
            since (string or none): a UTC timestamp as text.
#}
{% macro days_received_after(relation, since) -%}
    {%- if not execute or not since -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select distinct cast({{ footfall.utc_date('received_at') }} as {{ dbt.type_string() }})
        from {{ relation }}
        {{ where_loaded_after(since) }}
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}
