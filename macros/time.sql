{#
    Engine-specific time helpers (DESIGN.md "Scale": keep engine SQL in dispatched macros).

    to_reporting_date(timestamp_expr)
        The calendar date of a UTC timestamp in `footfall__reporting_timezone`.
        Arguments:
            timestamp_expr (string): SQL expression of a UTC timestamp (timestamptz).

    utc_date(timestamp_expr)
        The UTC calendar date of an instant (the lake's partition day), whatever the
        session time zone.
            timestamp_expr (string): SQL expression of a UTC timestamp (timestamptz).

    utc_midnight(date_expr)
        The instant a UTC day starts: `received_at >= utc_midnight(day)` keeps the same rows
        as `utc_date(received_at) >= day` but compares the stored timestamps as they are, so
        DuckDB skips row groups by their min/max instead of converting every row.
            date_expr (string): SQL expression of a date.

    timestamp_key(timestamp_expr)
        Microseconds since the epoch as text: a time-zone-independent spelling of an
        instant, used inside stable hash keys (visit_id).

    date_series(start_expr, end_expr)
        A relation with one row per day from start to end inclusive, column `series_date`.
#}

{% macro to_reporting_date(timestamp_expr) -%}
    {{ return(adapter.dispatch('to_reporting_date', 'footfall')(timestamp_expr)) }}
{%- endmacro %}

{% macro default__to_reporting_date(timestamp_expr) -%}
    to_date(from_utc_timestamp({{ timestamp_expr }}, '{{ var("footfall__reporting_timezone") }}'))
{%- endmacro %}

{% macro duckdb__to_reporting_date(timestamp_expr) -%}
    cast(timezone('{{ var("footfall__reporting_timezone") }}', {{ timestamp_expr }}) as date)
{%- endmacro %}


{% macro utc_date(timestamp_expr) -%}
    {{ return(adapter.dispatch('utc_date', 'footfall')(timestamp_expr)) }}
{%- endmacro %}

{% macro default__utc_date(timestamp_expr) -%}
    to_date({{ timestamp_expr }})
{%- endmacro %}

{% macro duckdb__utc_date(timestamp_expr) -%}
    cast(timezone('UTC', {{ timestamp_expr }}) as date)
{%- endmacro %}

{% macro utc_midnight(date_expr) -%}
    {{ return(adapter.dispatch('utc_midnight', 'footfall')(date_expr)) }}
{%- endmacro %}

{% macro default__utc_midnight(date_expr) -%}
    cast({{ date_expr }} as timestamp)
{%- endmacro %}

{% macro duckdb__utc_midnight(date_expr) -%}
    timezone('UTC', cast({{ date_expr }} as timestamp))
{%- endmacro %}


{% macro timestamp_key(timestamp_expr) -%}
    {{ return(adapter.dispatch('timestamp_key', 'footfall')(timestamp_expr)) }}
{%- endmacro %}

{% macro default__timestamp_key(timestamp_expr) -%}
    cast(unix_micros({{ timestamp_expr }}) as string)
{%- endmacro %}

{% macro duckdb__timestamp_key(timestamp_expr) -%}
    cast(epoch_us({{ timestamp_expr }}) as varchar)
{%- endmacro %}


{% macro date_series(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_series', 'footfall')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__date_series(start_expr, end_expr) -%}
    (select explode(sequence({{ start_expr }}, {{ end_expr }}, interval 1 day)) as series_date)
{%- endmacro %}

{% macro duckdb__date_series(start_expr, end_expr) -%}
    (
        select
            cast(
                unnest(
                    generate_series(
                        cast({{ start_expr }} as timestamp),
                        cast({{ end_expr }} as timestamp),
                        interval 1 day
                    )
                ) as date
            ) as series_date
    )
{%- endmacro %}


{#
    type_utc_timestamp()
        The column type of an instant: DuckDB's timestamptz (what Parquet timestamp[us, UTC]
        reads as), the adapter's plain timestamp elsewhere.
#}
{% macro type_utc_timestamp() -%}
    {{ return(adapter.dispatch('type_utc_timestamp', 'footfall')()) }}
{%- endmacro %}

{% macro default__type_utc_timestamp() -%}
    {{ dbt.type_timestamp() }}
{%- endmacro %}

{% macro duckdb__type_utc_timestamp() -%}
    timestamp with time zone
{%- endmacro %}
