-- Which levels are ranked: a level needs at least `ranking_min_battles` battles and
-- `ranking_min_participants` participants, and "Prefer not to say" is never a group.
with

grouped as (

    select * from {{ ref('int_battles_grouped') }}

),

sizes as (

    select
        grouping,
        level,
        cast(count(*) as integer) as n_battles,
        cast(count(distinct user_id) as integer) as n_participants
    from grouped
    group by grouping, level

),

final as (

    select
        grouping,
        level,
        n_battles,
        n_participants,
        case
            when level = 'Prefer not to say' then 'not_stated'
            when n_battles < {{ var('ranking_min_battles') }}
                or n_participants < {{ var('ranking_min_participants') }} then 'too_small'
            else 'ranked'
        end as ranking_status,
        {{ var('ranking_min_battles') }} as min_battles,
        {{ var('ranking_min_participants') }} as min_participants
    from sizes

)

select * from final
