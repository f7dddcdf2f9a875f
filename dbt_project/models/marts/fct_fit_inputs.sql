-- The rows every Stan fit reads: marts.fct_responses with the participant's four moderators.
-- Exported to Parquet by the analysis/model_snapshot asset, so no fit holds the DuckDB file.
with

responses as (
    select * from {{ ref('fct_responses') }}
),

participants as (
    select user_id, is_younger, is_male, is_white, has_high_values
    from {{ ref('dim_participants') }}
),

joined as (
    select
        responses.*,
        participants.is_younger,
        participants.is_male,
        participants.is_white,
        participants.has_high_values
    from responses
    left join participants using (user_id)
)

select * from joined
