with

interactions as (

    select * from {{ ref('int_interactions_summarised') }}

),

texts as (

    select * from {{ ref('stg_prism__texts') }}

),

final as (

    select
        -- ids
        interactions.interaction_id,
        interactions.conversation_id,
        interactions.user_id,
        interactions.chosen_utterance_id,
        interactions.turn,
        interactions.conversation_type,
        interactions.prompt_text_hash,

        -- options
        interactions.n_options,
        interactions.n_models,
        interactions.model_name,

        -- scores
        interactions.min_score,
        interactions.max_score,
        interactions.score_range,
        interactions.n_top_scored,
        interactions.n_top_scored > 1 as has_tied_top_score,

        -- the choice
        interactions.n_chosen,
        interactions.chosen_model_name,
        interactions.chosen_score,
        interactions.is_chosen_top_scored,

        -- language
        texts.is_english as is_english_prompt,
        texts.language_flag as prompt_language_flag,

        interactions.dataset_source

    from interactions
    left join texts
        on interactions.prompt_text_hash = texts.text_hash

)

select * from final
