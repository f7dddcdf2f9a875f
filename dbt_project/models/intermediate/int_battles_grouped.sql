-- Each battle once per grouping it is ranked within: the participant's answer (or the
-- conversation type) is the level, and the `overall` grouping has the single level `all`.
{% set participant_groupings = {
    'gender': 'gender',
    'age': 'age',
    'region': 'special_region',
    'ethnicity': 'ethnicity_simplified',
    'religion': 'religion_simplified',
    'lm_familiarity': 'lm_familiarity',
} %}

with

battles as (

    select * from {{ ref('fct_battles') }}

),

participants as (

    select * from {{ ref('dim_participants') }}

),

grouped as (

    select battle_id, 'overall' as grouping, 'all' as level from battles
    union all
    select battle_id, 'conversation_type' as grouping, conversation_type as level from battles
    {% for grouping, column in participant_groupings.items() %}
    union all
    select battles.battle_id, '{{ grouping }}' as grouping, participants.{{ column }} as level
    from battles
    inner join participants
        on battles.user_id = participants.user_id
    where participants.{{ column }} is not null
    {% endfor %}

),

final as (

    select
        grouped.grouping,
        grouped.level,
        battles.*
    from grouped
    inner join battles
        on grouped.battle_id = battles.battle_id

)

select * from final
