{#
    host_matches(host_expr, known_host_expr)
        True when a host belongs to a known host from the referrer_sources seed:
        a known host with a dot ("bing.com") matches itself and its subdomains
        ("www.bing.com", "cn.bing.com"); a dotless one ("google") matches any host that has
        it as a whole dot-separated label ("google.com", "www.google.co.uk").
        Arguments:
            host_expr (string): SQL expression of the lower-case host to test.
            known_host_expr (string): SQL expression of the seed's lower-case host.
#}
{% macro host_matches(host_expr, known_host_expr) -%}
    (
        case
            when {{ known_host_expr }} like '%.%'
                then
                    {{ host_expr }} = {{ known_host_expr }}
                    or {{ host_expr }} like {{ dbt.concat(["'%.'", known_host_expr]) }}
            else
                {{ dbt.concat(["'.'", host_expr, "'.'"]) }}
                like {{ dbt.concat(["'%.'", known_host_expr, "'.%'"]) }}
        end
    )
{%- endmacro %}
