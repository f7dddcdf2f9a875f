with

prompts as (

    select * from {{ ref('fct_opening_prompts') }}

),

topics as (

    select * from {{ ref('stg_case_studies__opening_topics') }}

),

final as (

    select
        -- ids
        prompts.conversation_id,
        prompts.user_id,
        topics.topic_id,

        -- the topic
        topics.topic_name,
        topics.is_outlier,
        topics.embedder,

        -- context
        prompts.conversation_type,

        -- the participant's answers the topic regressions condition on
        prompts.gender,
        prompts.age,
        prompts.special_region,
        prompts.ethnicity_simplified,
        prompts.religion_simplified,

        prompts.dataset_source

    from prompts
    inner join topics
        on prompts.conversation_id = topics.conversation_id

)

select * from final
