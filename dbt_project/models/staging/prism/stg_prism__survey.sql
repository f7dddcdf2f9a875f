with

source as (

    select * from {{ source('prism', 'prism_survey') }}

),

renamed as (

    select

        ----------  ids
        user_id,
        study_id,

        ----------  consent and language-model use
        consent,
        consent_age,
        lm_familiarity,
        lm_direct_use,
        lm_indirect_use,
        lm_frequency_use,

        ----------  free text
        self_description,
        system_string,

        ----------  demographics
        age,
        gender,
        employment_status,
        education,
        marital_status,
        english_proficiency,
        study_locale,
        religion.self_described as religion_self_described,
        religion.categorised as religion_categorised,
        religion.simplified as religion_simplified,
        ethnicity.self_described as ethnicity_self_described,
        ethnicity.categorised as ethnicity_categorised,
        ethnicity.simplified as ethnicity_simplified,

        ----------  location
        location.birth_country as birth_country,
        location."birth_countryISO" as birth_country_iso,
        location.birth_region as birth_region,
        location.birth_subregion as birth_subregion,
        location.reside_country as reside_country,
        location."reside_countryISO" as reside_country_iso,
        location.reside_region as reside_region,
        location.reside_subregion as reside_subregion,
        location.same_birth_reside_country as same_birth_reside_country,
        location.special_region as special_region,

        ----------  stated preferences (0-100 sliders)
        {% for pref in prism_stated_prefs() -%}
        cast(stated_prefs."{{ pref }}" as integer) as stated_pref_{{ pref }},
        {% endfor -%}
        stated_prefs.other_text as stated_pref_other_text,

        ----------  use cases (null when the question was not shown)
        {% for usecase in prism_usecases() -%}
        cast(lm_usecases."{{ usecase }}" as integer) = 1 as uses_lm_for_{{ snake_key(usecase) }},
        {% endfor -%}
        lm_usecases.other_text as lm_usecase_other_text,

        ----------  numerics
        cast(num_completed_conversations as integer) as n_completed_conversations,
        cast(timing_duration_s as double) as timing_duration_s,
        cast(timing_duration_mins as double) as timing_duration_mins,

        ----------  booleans
        survey_only as is_survey_only,
        "included_in_US_REP" as is_included_in_us_rep,
        "included_in_UK_REP" as is_included_in_uk_rep,
        included_in_balanced_subset as is_included_in_balanced_subset,

        ----------  timestamps
        {{ parse_prism_datetime('generated_datetime') }} as survey_completed_at,

        ----------  provenance
        _dataset_source as dataset_source,
        _dataset_revision as dataset_revision,
        _line_number as source_line_number

    from source

)

select * from renamed
