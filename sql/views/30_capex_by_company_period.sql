-- capex_by_company_period: the figure of each single company for each period, kind and status.
-- Grain: one row per (company, period, kind, status); a figure shared by several companies (a
-- joint programme, "Alibaba, Tencent and Baidu spent 50 billion yuan") appears under each of
-- them with shared = true and the full list in companies.
-- Rules:
-- * From capex_facts (consolidated). A company's own figure beats a shared one; among those the
--   latest (by first_seen) wins, so raised guidance supersedes the earlier guidance.
--   n_figures counts the consolidated figures there were for the row (1 + revisions).
-- * is_preferred marks the row to chart for a company, period and kind: actual, else guidance,
--   else plan, else estimate.
-- * Periods are never combined: a multi-year total ("2025-2028", is_multi_year) is its own row
--   and must not be added to annual rows. Do not sum amount_usd across companies where shared.
create or replace view capex_by_company_period as
with exploded as (
    select
        unnest(f.companies) as company,
        f.*
    from capex_facts f
),
ranked as (
    select
        x.*,
        count(*) over (partition by x.company, x.period, x.kind, x.status) as n_figures,
        row_number() over (
            partition by x.company, x.period, x.kind, x.status
            order by x.is_shared, x.first_seen desc, x.fact_key
        ) as figure_rank
    from exploded x
),
chosen as (
    select
        r.*
    from ranked r
    where r.figure_rank = 1
),
final as (
    select
        c.company,
        c.period,
        c.period_type,
        c.period_start,
        c.period_end,
        c.is_multi_year,
        c.kind,
        c.status,
        c.amount_usd,
        c.amount,
        c.amount_low,
        c.amount_high,
        c.currency,
        c.n_sources,
        c.n_outlets,
        c.is_shared as shared,
        c.companies,
        c.n_figures,
        c.first_seen,
        c.last_seen,
        c.fact_key,
        row_number() over (
            partition by c.company, c.period, c.kind
            order by case c.status
                when 'actual' then 1
                when 'guidance' then 2
                when 'plan' then 3
                when 'estimate' then 4
                else 5
            end
        ) = 1 as is_preferred
    from chosen c
)
select * from final
