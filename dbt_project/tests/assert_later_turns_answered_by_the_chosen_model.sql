{#- Turns after the opening show two responses, both from the model chosen at turn 0. -#}

select
    interactions.interaction_id,
    interactions.n_options,
    interactions.model_name,
    conversations.chosen_model_name
from {{ ref('fct_interactions') }} as interactions
inner join {{ ref('fct_conversations') }} as conversations
    on interactions.conversation_id = conversations.conversation_id
where interactions.turn > 0
  and (
      interactions.n_options <> 2
      or interactions.model_name is distinct from conversations.chosen_model_name
  )
