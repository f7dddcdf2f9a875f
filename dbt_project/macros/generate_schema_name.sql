{#
  The warehouse's schemas are stable public names (raw, staging, intermediate, marts), so a
  custom schema is used as is instead of dbt's default "<target schema>_<custom>" prefixing.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
