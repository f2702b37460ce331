-- int_article_sources: every original article with the outlet it came from and the time it was first seen.
-- Grain: one row per article that is not a copy of an earlier one (articles.duplicate_of is null:
-- the same text at a second URL, syndicated or an AMP/mobile page, counts once, as its first copy).
-- Rules: source (the outlet) = the registered domain of the article's URL (articles.outlet), else
-- the URL's host without "www.", the same whether a feed or a backfill brought the article;
-- source_label = the feed's name, else the page's site name, else the source (for display);
-- n_copies = the article and its copies at other URLs;
-- seen_at = published_at, else fetched_at (an undated page counts when fetched).
create or replace view int_article_sources as
with copies as (
    select
        duplicate_of as article_id,
        count(*) as n_copies
    from articles
    where duplicate_of is not null
    group by duplicate_of
),
hosts as (
    select
        a.*,
        nullif(regexp_extract(lower(a.url), '^[a-z]+://(www\.)?([^/:?#]+)', 2), '') as host
    from articles a
    where a.duplicate_of is null
),
final as (
    select
        h.article_id,
        h.url,
        h.title,
        h.feed_id,
        h.site_name,
        h.host,
        coalesce(h.outlet, h.host) as source,
        coalesce(fd.name, h.site_name, h.outlet, h.host) as source_label,
        1 + coalesce(c.n_copies, 0) as n_copies,
        h.published_at,
        h.fetched_at,
        coalesce(h.published_at, h.fetched_at) as seen_at,
        h.is_capex,
        h.capex_score,
        h.extractor_version
    from hosts h
    left join feeds fd
        on fd.feed_id = h.feed_id
    left join copies c
        on c.article_id = h.article_id
)
select * from final
