{#
    events_first_received_order()
        The window ordering that picks, among copies of one event_id, the copy received
        first (DESIGN.md "Duplicate eventIds count once"); later columns only make the pick
        deterministic when two copies arrived in the same microsecond. Shared by stg_events,
        int_events_landed and int_visits (which looks the kept copy's attributes up in the
        lake) so all keep the same copy.
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
    stored_event_columns()
        The event columns the landed-event store (int_events_landed) keeps from
        stg_events_landed, in order; its incremental runs union stored rows and newly landed
        rows on this list. Narrow on purpose: writing 10M rows costs most of a second per
        string column here, so the attributes only a visit's first event needs (referrer,
        UTM, device, place) stay in the lake and int_visits looks them up there. `page` and
        `product_id` stay: the duplicate pick orders by them.
#}
{% macro stored_event_columns() -%}
    {%- set columns = [
        'event_id', 'visitor_id', 'event_type', 'page', 'product_id', 'customer_id',
        'event_at', 'received_at', 'is_bot',
    ] -%}
    {{- columns | join(',\n    ') -}}
{%- endmacro %}


{#
    first_event_attribute_columns()
        The attributes a visit takes from its first event that the landed-event store does
        not keep (see stored_event_columns): int_visits reads them from the lake.
#}
{% macro first_event_attribute_columns() -%}
    {%- set columns = [
        'referrer', 'referrer_host', 'is_internal_referrer',
        'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content',
        'device_type', 'browser', 'os', 'country_code', 'country', 'region', 'city',
    ] -%}
    {{- columns | join(',\n    ') -}}
{%- endmacro %}
