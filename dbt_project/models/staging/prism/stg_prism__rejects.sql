with

source as (

    select * from {{ source('prism', 'prism_rejects') }}

),

renamed as (

    select

        ----------  ids
        file as file_name,
        cast(line_number as bigint) as line_number,

        ----------  text
        reason,
        raw_line,

        ----------  provenance
        _dataset_source as dataset_source,
        _dataset_revision as dataset_revision

    from source

)

select * from renamed
