{#-
  One row per rated response with the text attributes of the response, of the same turn's user
  prompt and of the conversation's opening prompt (the turn-0 user prompt), all from the
  selected scorer. A text without scores gets null attributes.
-#}

with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

attributes as (

    select * from {{ ref('int_text_attributes_pivoted') }}

),

hashed as (

    select
        utterance_id,
        conversation_id,
        turn,
        sha256(model_response) as response_text_hash,
        sha256(user_prompt) as prompt_text_hash
    from utterances

),

-- every response of turn 0 repeats the opening prompt, so any of them gives its hash
opening_prompts as (

    select
        conversation_id,
        min(prompt_text_hash) as opening_prompt_text_hash
    from hashed
    where turn = 0
    group by conversation_id

),

final as (

    select
        hashed.utterance_id,
        hashed.response_text_hash,
        hashed.prompt_text_hash,
        opening_prompts.opening_prompt_text_hash,
        {% for role in ['response', 'prompt', 'opening_prompt'] -%}
        {% for key in text_attribute_keys() -%}
        {{ role }}_attributes.{{ key }} as {{ role }}_{{ key }},
        {% endfor -%}
        coalesce({{ role }}_attributes.has_all_attributes, false) as has_{{ role }}_attributes{{ ',' if not loop.last }}
        {% endfor %}
    from hashed
    left join opening_prompts
        on hashed.conversation_id = opening_prompts.conversation_id
    left join attributes as response_attributes
        on hashed.response_text_hash = response_attributes.text_hash
    left join attributes as prompt_attributes
        on hashed.prompt_text_hash = prompt_attributes.text_hash
    left join attributes as opening_prompt_attributes
        on opening_prompts.opening_prompt_text_hash = opening_prompt_attributes.text_hash

)

select * from final
