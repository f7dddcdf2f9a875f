{#- PRISM writes datetimes as "YYYY-MM-DD HH:MM:SS" strings without a time zone. -#}
{% macro parse_prism_datetime(column) -%}
    strptime({{ column }}, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}
