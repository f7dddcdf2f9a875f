with

models as (

    select * from {{ ref('prism_models') }}

),

responses as (

    select * from {{ ref('stg_prism__utterances') }}

),

interactions as (

    select * from {{ ref('int_interactions_summarised') }}

),

response_counts as (

    select
        model_name,
        min(model_provider) as model_provider,
        cast(count(*) as integer) as n_responses,
        cast(count(*) filter (where turn = 0) as integer) as n_opening_responses,
        cast(count(distinct user_id) as integer) as n_participants,
        avg(score) as mean_score
    from responses
    group by model_name

),

opening_wins as (

    select
        chosen_model_name as model_name,
        cast(count(*) as integer) as n_conversations_chosen
    from interactions
    where turn = 0
    group by chosen_model_name

),

-- a model the data uses but the seed does not know still gets a row
all_models as (

    select model_name from models
    union
    select model_name from response_counts

),

final as (

    select
        all_models.model_name,
        models.short_name,
        models.longcode,
        models.model_family,
        coalesce(models.model_provider, response_counts.model_provider) as model_provider,
        models.api_provider,
        models.is_open_access,
        models.model_type,
        models.max_tokens,
        models.deployment_status,
        models.model_name is not null as is_known_model,
        coalesce(response_counts.n_responses, 0) as n_responses,
        coalesce(response_counts.n_opening_responses, 0) as n_opening_responses,
        coalesce(opening_wins.n_conversations_chosen, 0) as n_conversations_chosen,
        coalesce(response_counts.n_participants, 0) as n_participants,
        response_counts.mean_score
    from all_models
    left join models
        on all_models.model_name = models.model_name
    left join response_counts
        on all_models.model_name = response_counts.model_name
    left join opening_wins
        on all_models.model_name = opening_wins.model_name

)

select * from final
