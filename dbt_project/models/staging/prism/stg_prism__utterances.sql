with

source as (

    select * from {{ source('prism', 'prism_utterances') }}

),

renamed as (

    select

        ----------  ids
        utterance_id,
        interaction_id,
        conversation_id,
        user_id,
        cast(within_turn_id as integer) as within_turn_id,

        ----------  text
        conversation_type,
        user_prompt,
        model_response,
        model_name,
        model_provider,

        ----------  numerics
        cast(turn as integer) as turn,
        cast(score as integer) as score,

        ----------  booleans
        if_chosen,
        included_in_balanced_subset as is_included_in_balanced_subset,

        ----------  provenance
        _dataset_source as dataset_source,
        _dataset_revision as dataset_revision,
        _line_number as source_line_number

    from source

)

select * from renamed
