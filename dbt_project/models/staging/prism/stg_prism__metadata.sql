with

source as (

    select * from {{ source('prism', 'prism_metadata') }}

),

renamed as (

    select

        ----------  ids
        column_id
            || ':'
            || coalesce(utterance_id, interaction_id, conversation_id, user_id)
            as text_instance_id,
        user_id,
        conversation_id,
        interaction_id,
        utterance_id,

        ----------  text
        column_id as text_field,
        language_flag,

        ----------  booleans
        en_flag as is_english,
        pii_flag as is_pii_flagged,
        pii_manual_flag as is_pii_manually_flagged,
        moderation_flag.flagged as is_moderation_flagged,
        {% for category in prism_moderation_categories() -%}
        moderation_flag.categories."{{ category }}" as is_moderation_{{ snake_key(category) }},
        {% endfor %}

        ----------  numerics (OpenAI moderation scores, rounded to 2 decimals by PRISM)
        {% for category in prism_moderation_categories() -%}
        cast(moderation_flag.category_scores."{{ category }}" as double)
            as moderation_score_{{ snake_key(category) }},
        {% endfor %}

        ----------  provenance
        _dataset_source as dataset_source,
        _dataset_revision as dataset_revision,
        _line_number as source_line_number

    from source

)

select * from renamed
