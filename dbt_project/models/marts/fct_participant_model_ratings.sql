-- PRISM's welfare tables: each participant's opening-turn verdicts on each model they saw.
-- `welfare_subset: balanced` keeps only utterances in PRISM's balanced subset, as the authors'
-- welfare notebook did; `all` keeps every opening-turn response.
with

responses as (

    select * from {{ ref('fct_responses') }}
    where turn = 0

),

utterances as (

    select utterance_id, is_included_in_balanced_subset
    from {{ ref('stg_prism__utterances') }}

),

survey as (

    select user_id, is_included_in_us_rep, is_included_in_uk_rep
    from {{ ref('stg_prism__survey') }}

),

kept as (

    select responses.*
    from responses
    inner join utterances
        on responses.utterance_id = utterances.utterance_id
    {% if var('welfare_subset') == 'balanced' -%}
    where utterances.is_included_in_balanced_subset
    {%- elif var('welfare_subset') != 'all' -%}
    {{ exceptions.raise_compiler_error("welfare_subset must be 'balanced' or 'all', got " ~ var('welfare_subset')) }}
    {%- endif %}

),

final as (

    select
        -- ids
        kept.user_id,
        kept.model_name,

        -- the verdicts
        cast(count(*) as integer) as n_shown,
        avg(kept.score) as mean_score,
        cast(count(*) filter (where kept.if_chosen) as integer) as n_chosen,
        avg(kept.if_chosen::int) as choice_rate,
        cast(count(*) filter (where kept.score <= {{ var('veto_threshold') }}) as integer) as n_vetoed,
        avg((kept.score <= {{ var('veto_threshold') }})::int) as veto_rate,

        -- the participant's representative-sample membership (the jury pools)
        coalesce(survey.is_included_in_us_rep, false) as is_us_rep,
        coalesce(survey.is_included_in_uk_rep, false) as is_uk_rep,

        '{{ var('welfare_subset') }}' as welfare_subset,
        any_value(kept.dataset_source) as dataset_source

    from kept
    left join survey
        on kept.user_id = survey.user_id
    group by kept.user_id, kept.model_name, survey.is_included_in_us_rep, survey.is_included_in_uk_rep

)

select * from final
