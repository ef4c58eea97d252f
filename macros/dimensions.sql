{#
    cut_by_visit_dimensions(relation, date_column, aggregates)
        One `select ... group by` per cut, glued with `union all`: the day total (dimension
        'all', value 'all') and one group per value of each footfall__visit_dimensions
        column (value as text, '(not set)' for null). Each branch selects the day as
        `date_column`, then `dimension`, `dimension_value` and the `aggregates`.
        (Plain unions rather than GROUPING SETS: same speed on DuckDB, and every engine and
        linter reads them.)
        Arguments:
            relation (string): the CTE or relation holding one row per visit.
            date_column (string): its date column (the output keeps this name).
            aggregates (string): the select-list of aggregate expressions with aliases.
#}
{% macro cut_by_visit_dimensions(relation, date_column, aggregates) -%}
    {%- for dimension in ['all'] + var('footfall__visit_dimensions') %}
    select
        {{ date_column }},
        '{{ dimension }}' as dimension,
        {%- if dimension == 'all' %}
        'all' as dimension_value,
        {%- else %}
        coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), '(not set)') as dimension_value,
        {%- endif %}
        {{ aggregates }}
    from {{ relation }}
    group by
        {{ date_column }}
        {%- if dimension != 'all' %},
        coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), '(not set)')
        {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#
    funnel_visit_columns()
        The sessions columns funnel_daily reads besides visit_date: the visit dimensions
        and funnel_step. int_visit_day_fingerprints fingerprints exactly these per day, so
        funnel_daily rebuilds a day only when one of them changed.
#}
{% macro funnel_visit_columns() -%}
    {{ return(var('footfall__visit_dimensions') + ['funnel_step']) }}
{%- endmacro %}
