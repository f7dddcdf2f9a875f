-- Every pair of opening-turn responses within one interaction is a battle (PRISM's
-- extract_battles). Models a and b are ordered by name, so a pair has one orientation however
-- the interface listed them.
with

opening_responses as (

    select * from {{ ref('fct_responses') }}
    where turn = 0

),

-- The options of an interaction: its m models give m (m - 1) / 2 battles from m scores.
options as (

    select
        interaction_id,
        cast(count(distinct model_name) as integer) as n_options
    from opening_responses
    group by interaction_id

),

pairs as (

    select
        a.interaction_id,
        a.conversation_id,
        a.user_id,
        a.conversation_type,
        a.utterance_id as utterance_id_a,
        b.utterance_id as utterance_id_b,
        a.model_name as model_a,
        b.model_name as model_b,
        a.score as score_a,
        b.score as score_b,
        options.n_options,
        a.dataset_source
    from opening_responses as a
    inner join opening_responses as b
        on a.interaction_id = b.interaction_id
        and a.model_name < b.model_name
    inner join options
        on a.interaction_id = options.interaction_id

),

final as (

    select
        -- ids
        utterance_id_a || ':' || utterance_id_b as battle_id,
        interaction_id,
        conversation_id,
        user_id,
        conversation_type,
        model_a,
        model_b,

        -- the scores and the verdict
        score_a,
        score_b,
        score_a - score_b as score_diff,
        abs(score_a - score_b) <= {{ var('battle_tie_margin') }} as is_tie,
        case
            when abs(score_a - score_b) <= {{ var('battle_tie_margin') }} then 'tie'
            when score_a > score_b then 'a'
            else 'b'
        end as outcome,
        case
            when abs(score_a - score_b) <= {{ var('battle_tie_margin') }} then null
            when score_a > score_b then model_a
            else model_b
        end as winner_model,
        case
            when abs(score_a - score_b) <= {{ var('battle_tie_margin') }} then null
            when score_a > score_b then model_b
            else model_a
        end as loser_model,

        -- how much the battle counts when battles are not read as independent
        n_options,
        2.0 / n_options as battle_weight,

        dataset_source

    from pairs

)

select * from final
