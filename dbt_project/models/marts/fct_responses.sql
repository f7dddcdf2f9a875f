with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

ranked as (

    select * from {{ ref('int_responses_ranked') }}

),

prompts_joined as (

    select * from {{ ref('int_responses_prompts_joined') }}

),

texts as (

    select * from {{ ref('stg_prism__texts') }}

),

conversation_language as (

    select * from {{ ref('int_conversations_language_flagged') }}

),

scorer as (

    select * from {{ ref('int_attribute_scorer_selected') }}

),

final as (

    select
        -- ids
        utterances.utterance_id,
        utterances.interaction_id,
        utterances.conversation_id,
        utterances.user_id,
        utterances.model_name,
        utterances.model_provider,
        utterances.turn,
        utterances.within_turn_id,
        utterances.conversation_type,

        -- the rating
        utterances.score,
        cast(ln(utterances.score) as double) as log_score,
        utterances.if_chosen,
        ranked.is_top_scored,
        ranked.n_top_scored,
        ranked.n_options,

        -- texts
        prompts_joined.response_text_hash,
        prompts_joined.prompt_text_hash,
        prompts_joined.opening_prompt_text_hash,
        coalesce(response_texts.is_empty, false) as is_empty_response,

        -- attributes of the response, the same turn's prompt and the opening prompt
        {% for role in ['response', 'prompt', 'opening_prompt'] -%}
        {% for key in text_attribute_keys() -%}
        cast(prompts_joined.{{ role }}_{{ key }} as double) as {{ role }}_{{ key }},
        {% endfor -%}
        {% endfor -%}
        scorer.attribute_scorer,
        prompts_joined.has_response_attributes,
        prompts_joined.has_opening_prompt_attributes,

        -- language
        response_texts.is_english as is_english_response,
        prompt_texts.is_english as is_english_prompt,
        conversation_language.is_english_conversation,

        utterances.dataset_source

    from utterances
    inner join ranked
        on utterances.utterance_id = ranked.utterance_id
    inner join prompts_joined
        on utterances.utterance_id = prompts_joined.utterance_id
    left join texts as response_texts
        on prompts_joined.response_text_hash = response_texts.text_hash
    left join texts as prompt_texts
        on prompts_joined.prompt_text_hash = prompt_texts.text_hash
    left join conversation_language
        on utterances.conversation_id = conversation_language.conversation_id
    cross join scorer

)

select * from final
