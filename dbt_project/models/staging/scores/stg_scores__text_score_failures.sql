with

source as (

    select * from {{ source('scores', 'text_score_failures') }}

),

renamed as (

    select

        ----------  ids
        text_hash,
        scorer,

        ----------  text
        outcome,
        error_type,
        message as error_message,

        ----------  numerics
        cast(http_status as integer) as http_status,
        cast(attempts as integer) as n_attempts,

        ----------  timestamps
        cast(recorded_at as timestamp) as recorded_at

    from source

)

select * from renamed
