{#-
  One row per conversation with its language evidence and the English flag chosen by
  var('english_conversation_rule'): 'majority' (default: more than half of the conversation's
  flagged prompts, one per interaction, and responses, one per utterance, are English),
  'opening_prompt' (the opening prompt is English), or 'strict' (the opening prompt and every
  response are English). Texts without a language flag are left out of the counts.
-#}

{%- set rule = var('english_conversation_rule', 'majority') %}
{%- if rule not in ['majority', 'opening_prompt', 'strict'] %}
    {{ exceptions.raise_compiler_error(
        "var english_conversation_rule must be majority, opening_prompt or strict, got " ~ rule
    ) }}
{%- endif %}

with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

texts as (

    select * from {{ ref('stg_prism__texts') }}

),

instances as (

    select distinct
        conversation_id,
        interaction_id as instance_id,
        turn,
        'prompt' as role,
        sha256(user_prompt) as text_hash
    from utterances

    union all

    select
        conversation_id,
        utterance_id as instance_id,
        turn,
        'response' as role,
        sha256(model_response) as text_hash
    from utterances

),

flagged as (

    select
        instances.*,
        texts.is_english
    from instances
    left join texts
        on instances.text_hash = texts.text_hash

),

counted as (

    select
        conversation_id,
        bool_and(is_english) filter (where role = 'prompt' and turn = 0)
            as is_opening_prompt_english,
        bool_and(is_english) filter (where role = 'response') as are_all_responses_english,
        cast(count(is_english) as integer) as n_flagged_texts,
        cast(count(*) filter (where is_english) as integer) as n_english_texts
    from flagged
    group by conversation_id

),

final as (

    select
        conversation_id,
        is_opening_prompt_english,
        are_all_responses_english,
        n_flagged_texts,
        n_english_texts,
        case when n_flagged_texts > 0 then n_english_texts * 2 > n_flagged_texts end
            as is_english_majority,
        is_opening_prompt_english and are_all_responses_english as is_english_strict,
        {% if rule == 'majority' -%}
        case when n_flagged_texts > 0 then n_english_texts * 2 > n_flagged_texts end
        {%- elif rule == 'opening_prompt' -%}
        is_opening_prompt_english
        {%- else -%}
        is_opening_prompt_english and are_all_responses_english
        {%- endif %} as is_english_conversation,
        '{{ rule }}' as english_rule
    from counted

)

select * from final
