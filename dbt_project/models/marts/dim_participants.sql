with

survey as (

    select * from {{ ref('stg_prism__survey') }}

),

conversations as (

    select * from {{ ref('stg_prism__conversations') }}

),

conversation_counts as (

    select
        user_id,
        cast(count(*) as integer) as n_conversations
    from conversations
    group by user_id

),

final as (

    select
        -- ids
        survey.user_id,
        survey.study_id,

        -- demographics
        survey.age,
        survey.gender,
        survey.ethnicity_simplified,
        survey.ethnicity_categorised,
        survey.religion_simplified,
        survey.religion_categorised,
        survey.education,
        survey.employment_status,
        survey.marital_status,
        survey.english_proficiency,
        survey.birth_country,
        survey.birth_country_iso,
        survey.birth_region,
        survey.birth_subregion,
        survey.reside_country,
        survey.reside_country_iso,
        survey.reside_region,
        survey.reside_subregion,
        survey.special_region,
        survey.study_locale,

        -- stated preferences (0-100)
        {% for pref in prism_stated_prefs() -%}
        survey.stated_pref_{{ pref }},
        {% endfor -%}

        -- language-model familiarity and use
        survey.lm_familiarity,
        survey.lm_direct_use,
        survey.lm_indirect_use,
        survey.lm_frequency_use,
        {% for usecase in prism_usecases() -%}
        survey.uses_lm_for_{{ snake_key(usecase) }},
        {% endfor -%}

        -- participation
        coalesce(conversation_counts.n_conversations, 0) as n_conversations,
        survey.is_survey_only,
        survey.is_included_in_balanced_subset,

        -- the paper's four moderators; null where the answer was "Prefer not to say"
        case
            when survey.age = 'Prefer not to say' then null
            else survey.age in ('18-24 years old', '25-34 years old', '35-44 years old')
        end as is_younger,
        case
            when survey.gender = 'Prefer not to say' then null
            else survey.gender = 'Male'
        end as is_male,
        case
            when survey.ethnicity_simplified = 'Prefer not to say' then null
            else survey.ethnicity_simplified = 'White'
        end as is_white,
        -- "over 50" in the paper: a rating of exactly 50 counts as not high
        survey.stated_pref_values > 50 as has_high_values,

        survey.dataset_source

    from survey
    left join conversation_counts
        on survey.user_id = conversation_counts.user_id

)

select * from final
