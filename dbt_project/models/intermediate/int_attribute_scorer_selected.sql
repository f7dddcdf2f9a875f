{#-
  Exactly one row: the scorer whose values the marts use. One scorer for the whole warehouse,
  so a regression never mixes scorers across texts. var('attribute_scorer') names it; 'auto'
  prefers `perspective`, then the alphabetically first `imported:*` scorer, then the
  alphabetically first other scorer.
-#}

{%- set requested = var('attribute_scorer', 'auto') %}

with

scores as (

    select * from {{ ref('stg_scores__text_scores') }}

),

scorers as (

    select
        scorer,
        count(distinct text_hash) as n_texts_scored,
        case
            when scorer = 'perspective' then 0
            when scorer like 'imported:%' then 1
            else 2
        end as preference
    from scores
    group by scorer

),

ranked as (

    select *
    from scorers
    qualify row_number() over (order by preference, scorer) = 1

),

final as (

    {%- if requested == 'auto' %}
    select
        ranked.scorer as attribute_scorer,
        'auto' as selection_rule,
        coalesce(ranked.n_texts_scored, 0) as n_texts_scored
    from (select 1 as one_row) as anchor
    left join ranked on true
    {%- else %}
    select
        '{{ requested }}' as attribute_scorer,
        'var' as selection_rule,
        coalesce(
            (select n_texts_scored from scorers where scorer = '{{ requested }}'), 0
        ) as n_texts_scored
    {%- endif %}

)

select * from final
