-- capex_facts: current facts consolidated across articles (first version: exact key match;
-- the trend issue replaces this with 2 % amount tolerance).
-- Grain: one row per (companies, kind, period, currency, rounded amount).
create or replace view capex_facts as
with keyed as (
    select
        f.*,
        a.url,
        coalesce(a.published_at, a.fetched_at) as seen_at,
        list_sort(f.companies) as company_key,
        round(coalesce(f.amount, (f.amount_low + f.amount_high) / 2), -6) as amount_key
    from int_current_facts f
    join articles a
        on a.article_id = f.article_id
),
final as (
    select
        company_key as companies,
        kind,
        period,
        any_value(amount) as amount,
        currency,
        median(amount_usd) as amount_usd,
        count(distinct article_id) as n_sources,
        min(seen_at) as first_seen,
        max(seen_at) as last_seen,
        arg_min(url, seen_at) as example_url,
        arg_min(evidence, seen_at) as example_evidence
    from keyed
    group by company_key, kind, period, currency, amount_key
)
select * from final
