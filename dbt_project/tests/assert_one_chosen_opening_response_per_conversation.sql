{#- Every conversation has turn-0 responses, and exactly one of them carries if_chosen. -#}

with

conversations as (

    select conversation_id from {{ ref('fct_conversations') }}

),

opening_choices as (

    select
        conversation_id,
        count(*) filter (where if_chosen) as n_chosen
    from {{ ref('fct_responses') }}
    where turn = 0
    group by conversation_id

)

select
    conversations.conversation_id,
    coalesce(opening_choices.n_chosen, 0) as n_chosen
from conversations
left join opening_choices
    on conversations.conversation_id = opening_choices.conversation_id
where coalesce(opening_choices.n_chosen, 0) <> 1
