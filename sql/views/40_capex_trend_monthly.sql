-- capex_trend_monthly: AI-capex news volume per calendar month (UTC) of publication.
-- Grain: one row per month from the first to the last month with a story or fact (no gaps: a
-- quiet month has zeros).
-- Rules:
-- * n_stories = AI-capex articles first seen that month (published, else fetched);
--   n_fact_mentions = current facts, before consolidation, of the original articles (stories or
--   not: a fact is a fact wherever it appears) first seen that month.
-- * A consolidated fact (capex_facts) is new in the month of its first_seen: n_new_facts counts
--   them, each once however many outlets repeat it later.
-- * usd_new_facts sums amount_usd of new facts whose period is a year or shorter (year, fiscal
--   year, half, quarter). Multi-year totals ("2025-2028") are never added to it: they are summed
--   separately in usd_new_multi_year, and figures without a period in usd_new_no_period. A
--   shared figure counts once. A fact without amount_usd adds nothing to the sums.
create or replace view capex_trend_monthly as
with stories as (
    select
        cast(date_trunc('month', seen_at) as date) as month,
        count(*) as n_stories
    from int_article_sources
    where is_capex
    group by 1
),
mentions as (
    select
        cast(date_trunc('month', s.seen_at) as date) as month,
        count(*) as n_fact_mentions
    from int_current_facts f
    join int_article_sources s
        on s.article_id = f.article_id
    group by 1
),
new_facts as (
    select
        cast(date_trunc('month', first_seen) as date) as month,
        count(*) as n_new_facts,
        count(*) filter (where is_multi_year) as n_new_multi_year_facts,
        coalesce(sum(amount_usd) filter (where period_type in ('year', 'fiscal_year', 'half', 'quarter')), 0)
            as usd_new_facts,
        coalesce(sum(amount_usd) filter (where is_multi_year), 0) as usd_new_multi_year,
        coalesce(sum(amount_usd) filter (where period_type = 'none'), 0) as usd_new_no_period
    from capex_facts
    group by 1
),
bounds as (
    select
        min(month) as first_month,
        max(month) as last_month
    from (
        select month from stories
        union all
        select month from new_facts
    )
),
months as (
    select
        cast(unnest(generate_series(b.first_month, b.last_month, interval 1 month)) as date) as month
    from bounds b
    where b.first_month is not null
),
final as (
    select
        m.month,
        coalesce(s.n_stories, 0) as n_stories,
        coalesce(f.n_new_facts, 0) as n_new_facts,
        coalesce(f.usd_new_facts, 0) as usd_new_facts,
        coalesce(mt.n_fact_mentions, 0) as n_fact_mentions,
        coalesce(f.n_new_multi_year_facts, 0) as n_new_multi_year_facts,
        coalesce(f.usd_new_multi_year, 0) as usd_new_multi_year,
        coalesce(f.usd_new_no_period, 0) as usd_new_no_period
    from months m
    left join stories s
        on s.month = m.month
    left join new_facts f
        on f.month = m.month
    left join mentions mt
        on mt.month = m.month
)
select * from final
