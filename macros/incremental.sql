{#
    incremental_lake_cutoff(column='received_at')
        For an incremental run: the newest `column` already in this model minus
        `footfall__lookback_days`, as a UTC timestamp literal (text); none on a full
        refresh, at parse time, or when the model is still empty.
        Rendered as a literal so DuckDB can prune the lake's hive partitions.
        Arguments:
            column (string): the arrival-time column of this model.
#}
{% macro incremental_lake_cutoff(column='received_at') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(
            {{ dbt.dateadd('day', -1 * (var('footfall__lookback_days') | int), 'max(' ~ column ~ ')') }}
            as {{ dbt.type_string() }}
        )
        from {{ this }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
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
    delete_rebuilt_visitors(landed_relation)
        Pre-hook of the per-visitor incremental models (append strategy): deletes from this
        model the visitors whose landed events were rewritten since its newest loaded_at,
        so the run can append their rebuilt rows. A visitor left with nothing (all its events
        turned out to be other visitors' duplicates) is deleted and simply not re-added.
        Renders nothing on a full refresh or while the model is empty.
        Arguments:
            landed_relation (relation): int_events_landed (visitor_id, loaded_at).
#}
{% macro delete_rebuilt_visitors(landed_relation) -%}
    {%- set since = incremental_watermark('loaded_at') -%}
    {%- if since -%}
        delete from {{ this }}
        where visitor_id in (
            select visitor_id from {{ landed_relation }}
            where loaded_at > cast('{{ since }}' as {{ footfall.type_utc_timestamp() }})
        )
    {%- endif -%}
{%- endmacro %}
