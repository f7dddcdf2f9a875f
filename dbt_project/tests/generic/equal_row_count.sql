{#- Fails with one row when the model and `compare_model` hold different numbers of rows. -#}
{% test equal_row_count(model, compare_model) %}

with counts as (
    select
        (select count(*) from {{ model }}) as n_model,
        (select count(*) from {{ compare_model }}) as n_compare
)

select *
from counts
where n_model <> n_compare

{% endtest %}
