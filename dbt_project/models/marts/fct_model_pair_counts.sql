-- The sufficient statistics of a Bradley-Terry model without participant effects: how often
-- each model of a pair won and tied within one level of one grouping, counted once per battle
-- and weighted by battle_weight.
with

grouped as (

    select * from {{ ref('int_battles_grouped') }}

),

final as (

    select
        grouping,
        level,
        model_a,
        model_b,
        cast(count(*) as integer) as n_battles,
        cast(count(*) filter (where outcome = 'a') as integer) as n_a_wins,
        cast(count(*) filter (where outcome = 'b') as integer) as n_b_wins,
        cast(count(*) filter (where outcome = 'tie') as integer) as n_ties,
        coalesce(sum(battle_weight) filter (where outcome = 'a'), 0) as weighted_a_wins,
        coalesce(sum(battle_weight) filter (where outcome = 'b'), 0) as weighted_b_wins,
        coalesce(sum(battle_weight) filter (where outcome = 'tie'), 0) as weighted_ties,
        cast(count(distinct user_id) as integer) as n_participants
    from grouped
    group by grouping, level, model_a, model_b

)

select * from final
