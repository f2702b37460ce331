-- capex_by_company_period: one row per single company, period and kind (first version).
-- Rule: a figure shared by several companies appears under each, flagged shared.
create or replace view capex_by_company_period as
with exploded as (
    select
        unnest(companies) as company,
        period,
        kind,
        amount_usd,
        n_sources,
        len(companies) > 1 as shared
    from capex_facts
),
final as (
    select
        company,
        period,
        kind,
        max(amount_usd) as amount_usd,
        sum(n_sources) as n_sources,
        bool_or(shared) as shared
    from exploded
    group by company, period, kind
)
select * from final
