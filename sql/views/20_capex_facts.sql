-- capex_facts: current facts consolidated across articles and outlets.
-- Grain: one row per consolidated fact = one cluster of int_fact_clusters (same set of companies,
-- kind, period, currency and status class, amounts within 2 %; see that view for the rule).
-- Rules:
-- * n_sources = distinct articles reporting the fact (a copy of an article at another URL is not
--   one); n_outlets = distinct outlets (registered domain of the article URL, see
--   int_article_sources); n_mentions = fact rows (an article may repeat a figure).
-- * first_seen/last_seen = earliest/latest publication (else fetch) time of those articles.
-- * The example is the earliest report (ties: higher classifier score, then article id): its
--   amount, range, qualifier, URL, title and evidence sentence are shown, so the evidence states
--   exactly the amount in the row. amount_usd is the example's, else the median of the reports.
-- * status = the status most reports give (ties: the example's); statuses lists all given.
-- * A raised or lowered figure is a separate row: prev_amount_usd/revision compare it with the
--   previous figure of the same companies, kind, period and status class (by first_seen), is_latest
--   marks the newest one. Multi-year totals carry is_multi_year; this view sums nothing.
create or replace view capex_facts as
with examples as (
    select
        c.*
    from int_fact_clusters c
    qualify row_number() over (
        partition by c.cluster_key
        order by c.seen_at, c.capex_score desc, c.article_id, c.fact_id
    ) = 1
),
status_votes as (
    select
        c.cluster_key,
        c.status,
        count(*) as n_votes
    from int_fact_clusters c
    group by c.cluster_key, c.status
),
majority_status as (
    select
        v.cluster_key,
        v.status
    from status_votes v
    join examples e
        on e.cluster_key = v.cluster_key
    qualify row_number() over (
        partition by v.cluster_key
        order by v.n_votes desc, (v.status = e.status) desc, v.status
    ) = 1
),
aggregated as (
    select
        c.cluster_key,
        count(distinct c.article_id) as n_sources,
        count(distinct c.source) as n_outlets,
        count(*) as n_mentions,
        list(distinct c.source order by c.source) as sources,
        list(distinct c.status order by c.status) as statuses,
        min(c.seen_at) as first_seen,
        max(c.seen_at) as last_seen,
        median(c.amount_usd) as median_amount_usd
    from int_fact_clusters c
    group by c.cluster_key
),
consolidated as (
    select
        left(md5(e.cluster_key || '|' || e.fact_id), 16) as fact_key,
        e.company_key as companies,
        e.kind,
        e.period,
        e.period_type,
        e.period_start,
        e.period_end,
        e.is_multi_year,
        e.n_period_years,
        m.status,
        e.status_class,
        a.statuses,
        e.qualifier,
        e.amount,
        e.amount_low,
        e.amount_high,
        e.currency,
        coalesce(e.amount_usd, a.median_amount_usd) as amount_usd,
        a.n_sources,
        a.n_outlets,
        a.n_mentions,
        a.sources,
        a.first_seen,
        a.last_seen,
        e.url as example_url,
        e.title as example_title,
        e.source as example_source,
        e.evidence as example_evidence,
        e.fact_id as example_fact_id,
        len(e.company_key) > 1 as is_shared
    from examples e
    join aggregated a
        on a.cluster_key = e.cluster_key
    join majority_status m
        on m.cluster_key = e.cluster_key
),
final as (
    select
        c.*,
        lag(c.amount_usd) over w as prev_amount_usd,
        case
            when lag(c.amount_usd) over w is null or c.amount_usd is null then null
            when c.amount_usd > lag(c.amount_usd) over w then 'raised'
            when c.amount_usd < lag(c.amount_usd) over w then 'lowered'
            else 'restated'
        end as revision,
        row_number() over (
            partition by c.companies, c.kind, c.period, c.status_class
            order by c.first_seen desc, c.fact_key
        ) = 1 as is_latest
    from consolidated c
    window w as (
        partition by c.companies, c.kind, c.period, c.status_class
        order by c.first_seen, c.fact_key
    )
)
select * from final
