{#-
  One row per rated response, with its standing inside its interaction (the 2-4 responses to
  one user prompt). Tie rule: every response whose score equals the interaction's maximum is
  top-scored, so a tie at the top gives several top-scored responses; n_top_scored says how many.
-#}

with

utterances as (

    select * from {{ ref('stg_prism__utterances') }}

),

with_max as (

    select
        utterance_id,
        interaction_id,
        conversation_id,
        user_id,
        turn,
        within_turn_id,
        score,
        if_chosen,
        cast(count(*) over (partition by interaction_id) as integer) as n_options,
        max(score) over (partition by interaction_id) as max_score_in_interaction
    from utterances

),

final as (

    select
        *,
        score = max_score_in_interaction as is_top_scored,
        cast(
            count(*) filter (where score = max_score_in_interaction)
                over (partition by interaction_id)
            as integer
        ) as n_top_scored,
        cast(rank() over (partition by interaction_id order by score desc) as integer)
            as score_rank
    from with_max

)

select * from final
