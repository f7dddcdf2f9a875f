with

source as (

    select * from {{ source('case_studies', 'opening_topics') }}

),

renamed as (

    select

        ----------  ids
        conversation_id,
        cast(topic_id as integer) as topic_id,

        ----------  text
        topic as topic_name,
        embedder,

        ----------  booleans
        topic_id = -1 as is_outlier

    from source

)

select * from renamed
