{#-
  Lists shared by several models, so that a column set is spelled once.
-#}

{#- The 19 use-case options of the survey's lm_usecases question, in file order. -#}
{% macro prism_usecases() -%}
    {{ return([
        'homework_assistance', 'research', 'source_suggestions', 'professional_work',
        'creative_writing', 'casual_conversation', 'personal_recommendations',
        'daily_productivity', 'technical_or_programming_help', 'travel_guidance',
        'lifestyle_and_hobbies', 'well-being_guidance', 'medical_guidance',
        'financial_guidance', 'games', 'historical_or_news_insight', 'relationship_advice',
        'language_learning', 'other'
    ]) }}
{%- endmacro %}

{#- The nine stated-preference sliders of the survey (0-100), in file order. -#}
{% macro prism_stated_prefs() -%}
    {{ return([
        'values', 'creativity', 'fluency', 'factuality', 'diversity', 'safety',
        'personalisation', 'helpfulness', 'other'
    ]) }}
{%- endmacro %}

{#- The seven keys of a conversation's performance_attributes and choice_attributes. -#}
{% macro prism_rating_attributes() -%}
    {{ return(['values', 'fluency', 'factuality', 'safety', 'diversity', 'creativity', 'helpfulness']) }}
{%- endmacro %}

{#- The eleven OpenAI moderation categories, in API order. -#}
{% macro prism_moderation_categories() -%}
    {{ return([
        'sexual', 'hate', 'harassment', 'self-harm', 'sexual/minors', 'hate/threatening',
        'violence/graphic', 'self-harm/intent', 'self-harm/instructions',
        'harassment/threatening', 'violence'
    ]) }}
{%- endmacro %}

{#-
  The text attributes the marts carry, as column stems: the eight Perspective attributes
  scored, plus the paper's combined reasoning_nuance (the product of reasoning and nuance).
-#}
{% macro text_attribute_keys(include_combined=true) -%}
    {%- set keys = ['toxicity', 'affinity', 'compassion', 'curiosity', 'nuance',
                    'personal_story', 'reasoning', 'respect'] -%}
    {%- if include_combined -%}
        {%- set keys = keys + ['reasoning_nuance'] -%}
    {%- endif -%}
    {{ return(keys) }}
{%- endmacro %}

{#- A column-name-safe spelling of a PRISM key ('well-being_guidance', 'self-harm/intent'). -#}
{% macro snake_key(key) -%}
    {{ return(key | replace('-', '_') | replace('/', '_')) }}
{%- endmacro %}
