with

source as (

    select * from {{ source('scores', 'text_scores') }}

),

renamed as (

    select

        ----------  ids
        text_hash,
        scorer,

        ----------  text
        attribute,
        -- the marts' column stem; null for attributes the marts do not carry
        case attribute
            when 'TOXICITY' then 'toxicity'
            when 'AFFINITY_EXPERIMENTAL' then 'affinity'
            when 'COMPASSION_EXPERIMENTAL' then 'compassion'
            when 'CURIOSITY_EXPERIMENTAL' then 'curiosity'
            when 'NUANCE_EXPERIMENTAL' then 'nuance'
            when 'PERSONAL_STORY_EXPERIMENTAL' then 'personal_story'
            when 'REASONING_EXPERIMENTAL' then 'reasoning'
            when 'RESPECT_EXPERIMENTAL' then 'respect'
        end as attribute_key,
        scorer_version,
        policy as scoring_policy,
        cast(languages as varchar[]) as scored_languages,

        ----------  numerics
        cast(value as double) as attribute_value,

        ----------  timestamps
        cast(scored_at as timestamp) as scored_at

    from source

)

select * from renamed
