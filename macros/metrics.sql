{#
    rate(numerator, denominator)
        A percentage 0..100 as a double, 0 (not an error) when the denominator is 0
        (DESIGN.md "Every rate is 0..100 and 0 when its denominator is 0").
        Arguments:
            numerator (string), denominator (string): SQL expressions.
#}
{% macro rate(numerator, denominator) -%}
    case
        when coalesce({{ denominator }}, 0) = 0 then 0.0
        else 100.0 * {{ numerator }} / {{ denominator }}
    end
{%- endmacro %}


{#
    money_ratio(numerator, denominator)
        Money divided by a count, as decimal(18,2) rounded to the cent, 0 when the
        denominator is 0. Used for average order values.
        Arguments:
            numerator (string): a decimal money expression.
            denominator (string): a count expression.
#}
{% macro money_ratio(numerator, denominator) -%}
    cast(
        case
            when coalesce({{ denominator }}, 0) = 0 then 0
            else round(cast({{ numerator }} as {{ dbt.type_float() }}) / {{ denominator }}, 2)
        end
        as decimal(18, 2)
    )
{%- endmacro %}


{#
    daily_count_columns()
        daily_metrics' zero-filled counts from its joined day tables (visit_metrics,
        order_metrics, bot_volume), as a select list.
#}
{% macro daily_count_columns() -%}
    {%- set columns = {
        'visit_metrics': [
            'total_visits', 'unique_visitors', 'new_users', 'total_page_views',
            'bounced_visits', 'engaged_visits', 'cart_visits', 'cart_checkout_visits',
            'checkout_visits', 'checkout_converted_visits', 'converted_visits',
        ],
        'order_metrics': [
            'total_orders', 'created_orders', 'new_customers', 'pending_orders',
            'processing_orders', 'shipped_orders', 'delivered_orders', 'canceled_orders',
        ],
        'bot_volume': ['bot_visits', 'bot_events'],
    } -%}
    {%- for table, names in columns.items() -%}
        {%- set outer = loop -%}
        {%- for name in names -%}
            cast(coalesce({{ table }}.{{ name }}, 0) as {{ dbt.type_bigint() }}) as {{ name }}
            {{- ',\n        ' if not (loop.last and outer.last) }}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}
