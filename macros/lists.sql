{#
    explode_list(list_column, value_alias, index_alias)
        Select-list expression(s) that turn one row per list into one row per element,
        with the element as `value_alias` and its 1-based position as `index_alias`.
        Arguments:
            list_column (string): the list/array column.
            value_alias (string): name of the element column.
            index_alias (string): name of the position column.
#}
{% macro explode_list(list_column, value_alias, index_alias) -%}
    {{ return(adapter.dispatch('explode_list', 'footfall')(list_column, value_alias, index_alias)) }}
{%- endmacro %}

{% macro default__explode_list(list_column, value_alias, index_alias) -%}
    posexplode({{ list_column }}) as ({{ index_alias }}, {{ value_alias }})
{%- endmacro %}

{% macro duckdb__explode_list(list_column, value_alias, index_alias) -%}
    unnest({{ list_column }}) as {{ value_alias }},
    generate_subscripts({{ list_column }}, 1) as {{ index_alias }}
{%- endmacro %}
