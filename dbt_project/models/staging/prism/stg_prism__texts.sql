{{ config(materialized='table') }}

{#-
  The distinct texts to score: every user prompt (all turns, once per interaction) and every
  model response (once per utterance), keyed by the SHA-256 of the exact text. The scoring layer
  reads this model, so it never parses PRISM itself.
-#}

with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

metadata as (

    select * from {{ ref('stg_prism__metadata') }}

),

-- PRISM has one metadata row per interaction prompt and per response; keep the first if a
-- file ever repeats one, so a repeat cannot inflate n_occurrences
prompt_flags as (

    select interaction_id, language_flag
    from metadata
    where text_field = 'user_prompt'
    qualify row_number() over (partition by interaction_id order by source_line_number) = 1

),

response_flags as (

    select utterance_id, language_flag
    from metadata
    where text_field = 'model_response'
    qualify row_number() over (partition by utterance_id order by source_line_number) = 1

),

-- a prompt is repeated on every utterance row of its interaction: one instance per interaction
prompt_instances as (

    select
        interaction_id,
        min(turn) as turn,
        min(user_prompt) as text,
        min(dataset_source) as dataset_source
    from utterances
    group by interaction_id

),

text_instances as (

    select
        prompt_instances.text,
        prompt_instances.turn = 0 as is_opening_prompt,
        prompt_instances.turn > 0 as is_later_prompt,
        false as is_response,
        prompt_flags.language_flag,
        prompt_instances.dataset_source
    from prompt_instances
    left join prompt_flags
        on prompt_instances.interaction_id = prompt_flags.interaction_id

    union all

    select
        utterances.model_response as text,
        false as is_opening_prompt,
        false as is_later_prompt,
        true as is_response,
        response_flags.language_flag,
        utterances.dataset_source
    from utterances
    left join response_flags
        on utterances.utterance_id = response_flags.utterance_id

),

hashed as (

    select
        sha256(text) as text_hash,
        *
    from text_instances

),

-- several instances of one text can carry different flags (langid is deterministic, so in
-- practice they agree); the text takes its most frequent flag, ties going to 'en', then to the
-- alphabetically first code
language_votes as (

    select
        text_hash,
        language_flag,
        count(*) as n_votes
    from hashed
    where language_flag is not null
    group by text_hash, language_flag

),

text_language as (

    select
        text_hash,
        language_flag,
        count(*) over (partition by text_hash) as n_language_flags
    from language_votes
    qualify row_number() over (
        partition by text_hash
        order by n_votes desc, language_flag = 'en' desc, language_flag
    ) = 1

),

texts as (

    select
        text_hash,
        min(text) as text,
        bool_or(is_opening_prompt) as is_opening_prompt,
        bool_or(is_later_prompt) as is_later_prompt,
        bool_or(is_response) as is_response,
        count(*) as n_occurrences,
        min(dataset_source) as dataset_source
    from hashed
    group by text_hash

),

final as (

    select
        texts.text_hash,
        texts.text,
        texts.is_opening_prompt,
        texts.is_later_prompt,
        texts.is_response,
        texts.n_occurrences,
        text_language.language_flag,
        coalesce(text_language.n_language_flags, 0) as n_language_flags,
        text_language.language_flag = 'en' as is_english,
        texts.text = 'EMPTY STRING' or trim(texts.text) = '' as is_empty,
        octet_length(encode(texts.text)) as n_bytes,
        texts.dataset_source
    from texts
    left join text_language
        on texts.text_hash = text_language.text_hash

)

select * from final
