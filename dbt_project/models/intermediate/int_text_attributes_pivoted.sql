{#-
  One row per scored text (text_hash) for the selected scorer: the eight attributes side by
  side plus the paper's combined reasoning_nuance = reasoning * nuance.
-#}

with

scores as (

    select * from {{ ref('stg_scores__text_scores') }}

),

selected as (

    select * from {{ ref('int_attribute_scorer_selected') }}

),

pivoted as (

    select
        scores.text_hash,
        scores.scorer,
        {% for key in text_attribute_keys(include_combined=false) -%}
        max(scores.attribute_value) filter (where scores.attribute_key = '{{ key }}') as {{ key }},
        {% endfor -%}
        count(distinct scores.attribute_key) as n_attributes
    from scores
    inner join selected
        on scores.scorer = selected.attribute_scorer
    group by scores.text_hash, scores.scorer

),

final as (

    select
        text_hash,
        scorer,
        {% for key in text_attribute_keys(include_combined=false) -%}
        {{ key }},
        {% endfor -%}
        reasoning * nuance as reasoning_nuance,
        cast(n_attributes as integer) as n_attributes,
        n_attributes = 8 as has_all_attributes
    from pivoted

)

select * from final
