with

conversations as (

    select * from {{ ref('stg_prism__conversations') }}

),

interactions as (

    select * from {{ ref('int_interactions_summarised') }}

),

conversation_language as (

    select * from {{ ref('int_conversations_language_flagged') }}

),

opening_turns as (

    select
        conversation_id,
        prompt_text_hash as opening_prompt_text_hash,
        n_options as n_opening_options,
        chosen_utterance_id as opening_chosen_utterance_id,
        chosen_model_name
    from interactions
    where turn = 0

),

interaction_counts as (

    select
        conversation_id,
        cast(count(*) as integer) as n_interactions,
        cast(sum(n_options) as integer) as n_responses,
        cast(max(turn) + 1 as integer) as n_turns_observed
    from interactions
    group by conversation_id

),

final as (

    select
        -- ids
        conversations.conversation_id,
        conversations.user_id,
        opening_turns.opening_prompt_text_hash,
        opening_turns.opening_chosen_utterance_id,

        -- shape
        conversations.conversation_type,
        conversations.n_turns,
        interaction_counts.n_interactions,
        interaction_counts.n_responses,
        opening_turns.n_opening_options,

        -- the model chosen at turn 0, which answers every later turn
        opening_turns.chosen_model_name,
        models.model_provider as chosen_model_provider,

        -- feedback
        {% for attr in prism_rating_attributes() -%}
        conversations.performance_{{ attr }},
        {% endfor -%}
        {% for attr in prism_rating_attributes() -%}
        conversations.choice_{{ attr }},
        {% endfor -%}
        conversations.open_feedback,

        -- timings
        conversations.conversation_ended_at,
        conversations.timing_duration_s,
        conversations.timing_duration_mins,

        -- selection flags
        conversations.is_included_in_balanced_subset,
        conversation_language.is_english_conversation,
        conversation_language.is_opening_prompt_english,
        conversation_language.are_all_responses_english,
        conversation_language.n_flagged_texts,
        conversation_language.n_english_texts,

        conversations.dataset_source

    from conversations
    left join opening_turns
        on conversations.conversation_id = opening_turns.conversation_id
    left join interaction_counts
        on conversations.conversation_id = interaction_counts.conversation_id
    left join conversation_language
        on conversations.conversation_id = conversation_language.conversation_id
    left join {{ ref('prism_models') }} as models
        on opening_turns.chosen_model_name = models.model_name

)

select * from final
