with

source as (

    select * from {{ source('prism', 'prism_conversations') }}

),

renamed as (

    select

        ----------  ids
        conversation_id,
        user_id,

        ----------  text
        conversation_type,
        opening_prompt,
        open_feedback,

        ----------  numerics
        cast(conversation_turns as integer) as n_turns,
        {% for attr in prism_rating_attributes() -%}
        cast(performance_attributes."{{ attr }}" as integer) as performance_{{ attr }},
        {% endfor -%}
        {% for attr in prism_rating_attributes() -%}
        cast(choice_attributes."{{ attr }}" as integer) as choice_{{ attr }},
        {% endfor -%}
        cast(timing_duration_s as double) as timing_duration_s,
        cast(timing_duration_mins as double) as timing_duration_mins,

        ----------  nested: exploded in int_conversation_history_exploded
        conversation_history,

        ----------  booleans
        included_in_balanced_subset as is_included_in_balanced_subset,

        ----------  timestamps
        {{ parse_prism_datetime('generated_datetime') }} as conversation_ended_at,

        ----------  provenance
        _dataset_source as dataset_source,
        _dataset_revision as dataset_revision,
        _line_number as source_line_number

    from source

)

select * from renamed
