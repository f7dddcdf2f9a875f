-- The paper's sample beside ours: conversations kept as English, by conversation type
-- (Kyrychenko et al. 2025 report 7,960 = 3,093 unguided + 2,440 values guided + 2,427
-- controversy guided, from 1,394 participants). Compile with `dbt compile -s paper_sample_sizes`.

with

conversations as (

    select * from {{ ref('fct_conversations') }}

),

paper as (

    select * from (
        values
            ('unguided', 3093),
            ('values guided', 2440),
            ('controversy guided', 2427)
    ) as published (conversation_type, n_conversations_paper)

),

ours as (

    select
        conversation_type,
        count(*) as n_conversations,
        count(*) filter (where is_english_conversation) as n_english_conversations,
        count(distinct user_id) filter (where is_english_conversation) as n_english_participants
    from conversations
    group by conversation_type

)

select
    ours.conversation_type,
    ours.n_conversations,
    ours.n_english_conversations,
    paper.n_conversations_paper,
    ours.n_english_participants
from ours
left join paper
    on ours.conversation_type = paper.conversation_type
order by ours.conversation_type
