{#-
  Every model entry of conversation_history matches exactly one utterance (same conversation,
  turn and within_turn_id) with the same model, score, if_chosen and text, and every utterance
  matches a model entry. Returns the offending entries and utterances.
-#}

with

model_entries as (

    select *
    from {{ ref('int_conversation_history_exploded') }}
    where role = 'model'

),

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

matches as (

    select
        model_entries.history_entry_id,
        count(utterances.utterance_id) as n_matches,
        count(*) filter (
            where utterances.model_name = model_entries.model_name
              and utterances.model_provider = model_entries.model_provider
              and utterances.score = model_entries.score
              and utterances.if_chosen = model_entries.if_chosen
              and utterances.model_response = model_entries.content
        ) as n_identical
    from model_entries
    left join utterances
        on model_entries.conversation_id = utterances.conversation_id
        and model_entries.turn = utterances.turn
        and model_entries.within_turn_id = utterances.within_turn_id
    group by model_entries.history_entry_id

),

unmatched_utterances as (

    select utterances.utterance_id
    from utterances
    anti join model_entries
        on model_entries.conversation_id = utterances.conversation_id
        and model_entries.turn = utterances.turn
        and model_entries.within_turn_id = utterances.within_turn_id

)

select history_entry_id as offending_id, 'entry without exactly one identical utterance' as problem
from matches
where n_matches <> 1 or n_identical <> 1

union all

select utterance_id, 'utterance without a history entry'
from unmatched_utterances
