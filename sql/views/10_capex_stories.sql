-- capex_stories: one row per AI-capex article.
-- Grain: one row per article that the current extractor classified as AI capex (is_capex); a copy
-- of an earlier article at another URL is not a story of its own (n_copies counts them).
-- Rules: source = the outlet (registered domain of the URL; source_label = feed or site name for
-- display; see int_article_sources);
-- n_facts = the article's current facts (latest extractor version only), not consolidated.
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
        s.article_id,
        s.published_at,
        s.title,
        s.url,
        s.source,
        s.capex_score as score,
        coalesce(fc.n_facts, 0) as n_facts,
        s.feed_id,
        s.site_name,
        s.host,
        s.fetched_at,
        s.seen_at,
        s.source_label,
        s.n_copies
    from int_article_sources s
    left join fact_counts fc
        on fc.article_id = s.article_id
    where s.is_capex
)
select * from final
