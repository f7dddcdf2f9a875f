{#- One row per conversation_history entry: each turn's user entry and its model entries. -#}

with

conversations as (

    select * from {{ ref('stg_prism__conversations') }}

),

exploded as (

    select
        conversation_id,
        user_id,
        conversation_type,
        dataset_source,
        unnest(conversation_history) as entry,
        generate_subscripts(conversation_history, 1) as entry_index
    from conversations

),

final as (

    select
        conversation_id || ':' || entry_index as history_entry_id,
        conversation_id,
        user_id,
        cast(entry_index as integer) as entry_index,
        cast(entry.turn as integer) as turn,
        entry.role as role,
        cast(entry.within_turn_id as integer) as within_turn_id,
        conversation_type,
        entry.content as content,
        entry.model_name as model_name,
        entry.model_provider as model_provider,
        cast(entry.score as integer) as score,
        entry.if_chosen as if_chosen,
        dataset_source
    from exploded

)

select * from final
