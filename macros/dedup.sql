{#
    events_first_received_order()
        The window ordering that picks, among copies of one event_id, the copy received
        first (DESIGN.md "Duplicate eventIds count once"); later columns only make the pick
        deterministic when two copies arrived in the same microsecond. Shared by stg_events
        and int_events_sessionized so both keep the same copy.
#}
{% macro events_first_received_order() -%}
    received_at asc,
    event_at asc,
    visitor_id asc,
    event_type asc,
    page asc nulls last,
    product_id asc nulls last
{%- endmacro %}


{#
    sessionized_event_columns(prefix='')
        The event columns int_events_sessionized keeps from stg_events_landed, in order;
        its incremental runs union stored rows and newly landed rows on this list.
        Arguments:
            prefix (string): prepended to every column, e.g. a table alias and a dot.
#}
{% macro sessionized_event_columns(prefix='') -%}
    {%- set columns = [
        'event_id', 'visitor_id', 'event_type', 'page', 'product_id', 'customer_id',
        'referrer', 'referrer_host', 'is_internal_referrer',
        'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
        'event_at', 'received_at',
        'device_type', 'browser', 'os', 'country_code', 'country', 'region', 'city', 'is_bot',
    ] -%}
    {%- for column in columns -%}
        {{ prefix }}{{ column }}{{ ',\n    ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
