{#
    unique_combination(columns)
        Fails for every combination of `columns` that occurs more than once: the key test
        of a model whose grain is several columns (dbt_utils' unique_combination_of_columns,
        without the package, since dbt deps needs the internet).
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
