-- capex_stories: one row per AI-capex article.
-- Rules: is_capex as the current extractor classified it; source = the feed name, else the site name.
create or replace view capex_stories as
with fact_counts as (
    select
        article_id,
        count(*) as n_facts
    from int_current_facts
    group by article_id
),
final as (
    select
        a.article_id,
        a.published_at,
        a.title,
        a.url,
        coalesce(fd.name, a.site_name) as source,
        a.capex_score as score,
        coalesce(fc.n_facts, 0) as n_facts
    from articles a
    left join feeds fd
        on fd.feed_id = a.feed_id
    left join fact_counts fc
        on fc.article_id = a.article_id
    where a.is_capex
)
select * from final
