{#
    Reading the Parquet lake.

    lake_source(source_name, table_name)
        The relation to select from for one lake source: the source's hive-partitioned
        Parquet files, or, when none has landed yet, an empty relation with the columns
        and types declared once in the source YAML (so an empty lake builds empty marts).
        Arguments:
            source_name (string): the source, e.g. 'lake'.
            table_name (string): the table; its `meta.lake_path` is the dataset folder
                under `footfall__lake_dir` (e.g. 'enriched/events').
        The hive `date` partition column comes from the file path.

    read_lake_files(pattern, columns) -- dispatched
        The engine-specific reader: DuckDB uses glob() at run time and read_parquet.
#}

{% macro lake_source(source_name, table_name) -%}
    {#- call source() so dbt records the lineage; the relation itself is never queried -#}
    {%- set _lineage = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return('(select 1 as placeholder)') }}
    {%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set lake_path = node.meta.get('lake_path') or node.config.meta.get('lake_path') -%}
    {%- if not lake_path -%}
        {{ exceptions.raise_compiler_error('source ' ~ source_name ~ '.' ~ table_name ~ ' has no meta.lake_path') }}
    {%- endif -%}
    {%- set pattern = var('footfall__lake_dir') ~ '/' ~ lake_path ~ '/date=*/*.parquet' -%}
    {{ return(adapter.dispatch('read_lake_files', 'footfall')(pattern, node.columns)) }}
{%- endmacro %}


{% macro default__read_lake_files(pattern, columns) -%}
    {{ exceptions.raise_compiler_error('read_lake_files is not implemented for ' ~ target.type) }}
{%- endmacro %}


{% macro duckdb__read_lake_files(pattern, columns) -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {%- if found.columns[0].values()[0] > 0 -%}
        read_parquet(
            '{{ pattern }}',
            hive_partitioning = true,
            hive_types = {'date': date},
            union_by_name = true
        )
    {%- else -%}
        (
            select
            {%- for column in columns.values() %}
                cast(null as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
            {%- endfor %}
            where false
        )
    {%- endif -%}
{%- endmacro %}
