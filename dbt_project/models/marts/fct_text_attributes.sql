with

scores as (

    select * from {{ ref('stg_scores__text_scores') }}

),

texts as (

    select * from {{ ref('stg_prism__texts') }}

),

selected as (

    select * from {{ ref('int_attribute_scorer_selected') }}

),

final as (

    select
        -- ids
        scores.text_hash,
        scores.attribute,
        scores.scorer,

        -- the value
        scores.attribute_key,
        scores.attribute_value,

        -- provenance
        scores.scorer_version,
        scores.scored_at,
        scores.scoring_policy,
        scores.scored_languages,
        coalesce(scores.scorer = selected.attribute_scorer, false) as is_selected_scorer,

        -- the text's roles
        texts.is_opening_prompt,
        texts.is_later_prompt,
        texts.is_response,
        texts.is_english,
        texts.language_flag,
        texts.n_occurrences,
        texts.n_bytes,
        texts.text_hash is not null as is_prism_text,
        texts.dataset_source

    from scores
    left join texts
        on scores.text_hash = texts.text_hash
    cross join selected

)

select * from final
