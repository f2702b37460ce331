-- capex_trend_monthly: one row per month of publication: AI-capex stories, new facts, their USD sum.
create or replace view capex_trend_monthly as
with stories as (
    select
        date_trunc('month', coalesce(published_at, fetched_at)) as month,
        count(*) as n_stories
    from articles
    where is_capex
    group by 1
),
new_facts as (
    select
        date_trunc('month', first_seen) as month,
        count(*) as n_new_facts,
        sum(amount_usd) as usd_new_facts
    from capex_facts
    group by 1
),
final as (
    select
        coalesce(s.month, f.month) as month,
        coalesce(s.n_stories, 0) as n_stories,
        coalesce(f.n_new_facts, 0) as n_new_facts,
        coalesce(f.usd_new_facts, 0) as usd_new_facts
    from stories s
    full outer join new_facts f
        on f.month = s.month
)
select * from final
