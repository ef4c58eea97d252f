{#
    Cutting visits by dimension with grouping sets: one pass over sessions gives the
    day total (dimension 'all') and one group per value of each footfall__visit_dimensions
    column.

    visit_dimension_grouping_sets(date_column)
        The `group by grouping sets (...)` clause: (date), (date, dim1), (date, dim2), ...

    visit_dimension_label()
        Select-list expressions naming the group: `dimension` (the column name, or 'all')
        and `dimension_value` (its value as text, '(not set)' when null, or 'all').
        Only valid in the select list of a query grouped by the clause above.
#}

{% macro visit_dimension_grouping_sets(date_column) -%}
    group by grouping sets (
        ({{ date_column }}),
        {%- for dimension in var('footfall__visit_dimensions') %}
        ({{ date_column }}, {{ dimension }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro visit_dimension_label() -%}
    case
        {%- for dimension in var('footfall__visit_dimensions') %}
        when grouping({{ dimension }}) = 0 then '{{ dimension }}'
        {%- endfor %}
        else 'all'
    end as dimension,
    case
        {%- for dimension in var('footfall__visit_dimensions') %}
        when grouping({{ dimension }}) = 0
            then coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), '(not set)')
        {%- endfor %}
        else 'all'
    end as dimension_value
{%- endmacro %}
