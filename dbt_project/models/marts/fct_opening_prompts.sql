with

conversations as (

    select * from {{ ref('stg_prism__conversations') }}

),

participants as (

    select * from {{ ref('dim_participants') }}

),

final as (

    select
        -- ids
        conversations.conversation_id,
        conversations.user_id,

        -- the prompt, as published (PRISM clusters the raw text)
        conversations.opening_prompt,
        md5(conversations.opening_prompt) as opening_prompt_md5,
        trim(coalesce(conversations.opening_prompt, '')) = '' as is_opening_prompt_empty,

        -- context
        conversations.conversation_type,

        -- the participant's answers the topic regressions condition on
        participants.gender,
        participants.age,
        participants.special_region,
        participants.ethnicity_simplified,
        participants.religion_simplified,

        conversations.dataset_source

    from conversations
    inner join participants
        on conversations.user_id = participants.user_id

)

select * from final
