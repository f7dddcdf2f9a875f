{#- One row per interaction (one human turn with the 2-4 responses to it). -#}

with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

ranked as (

    select * from {{ ref('int_responses_ranked') }}

),

joined as (

    select
        ranked.*,
        utterances.conversation_type,
        utterances.model_name,
        utterances.model_provider,
        utterances.user_prompt,
        utterances.dataset_source
    from ranked
    inner join utterances
        on ranked.utterance_id = utterances.utterance_id

),

final as (

    select
        interaction_id,
        min(conversation_id) as conversation_id,
        min(user_id) as user_id,
        min(turn) as turn,
        min(conversation_type) as conversation_type,
        sha256(min(user_prompt)) as prompt_text_hash,
        cast(count(distinct user_prompt) as integer) as n_distinct_prompts,
        min(n_options) as n_options,
        cast(count(distinct model_name) as integer) as n_models,
        -- later turns show two responses of the conversation's chosen model
        case when count(distinct model_name) = 1 then min(model_name) end as model_name,
        min(score) as min_score,
        max(score) as max_score,
        max(score) - min(score) as score_range,
        min(n_top_scored) as n_top_scored,
        cast(count(*) filter (where if_chosen) as integer) as n_chosen,
        -- when both A and B carry if_chosen (identical texts), the lower within_turn_id
        arg_min(utterance_id, within_turn_id) filter (where if_chosen) as chosen_utterance_id,
        arg_min(model_name, within_turn_id) filter (where if_chosen) as chosen_model_name,
        arg_min(score, within_turn_id) filter (where if_chosen) as chosen_score,
        bool_or(if_chosen and is_top_scored) as is_chosen_top_scored,
        min(dataset_source) as dataset_source
    from joined
    group by interaction_id

)

select * from final
