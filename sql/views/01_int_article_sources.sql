-- int_article_sources: every article with the outlet it came from and the time it was first seen.
-- Grain: one row per article.
-- Rules: source (the outlet) = the feed's name, else the page's site name, else the URL's host
-- without "www."; seen_at = published_at, else fetched_at (an undated page counts when fetched).
create or replace view int_article_sources as
with hosts as (
    select
        a.*,
        nullif(regexp_extract(lower(a.url), '^[a-z]+://(www\.)?([^/:?#]+)', 2), '') as host
    from articles a
),
final as (
    select
        h.article_id,
        h.url,
        h.title,
        h.feed_id,
        h.site_name,
        h.host,
        coalesce(fd.name, h.site_name, h.host) as source,
        h.published_at,
        h.fetched_at,
        coalesce(h.published_at, h.fetched_at) as seen_at,
        h.is_capex,
        h.capex_score,
        h.extractor_version
    from hosts h
    left join feeds fd
        on fd.feed_id = h.feed_id
)
select * from final
