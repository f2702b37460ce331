-- int_fact_clusters: every current fact with the consolidated fact (cluster) it belongs to.
-- Grain: one row per current fact.
-- Rules:
-- * Facts are candidates for one cluster when they name the same set of companies (order
--   ignored), kind, period (null matches null), currency and status class: 'actual' (reported
--   spending), 'forward' (guidance or plan: outlets word one announcement either way) or
--   'estimate' (third parties' figures); an actual that matches earlier guidance is its own fact.
-- * Within such a group facts are sorted by amount (low end, then high end; a point amount is its
--   own low and high end) and a new cluster starts when either end differs from the previous
--   fact's by more than 2 % of the larger value. So "$80 billion", "$80bn" and "about $79.6
--   billion" are one fact, while guidance raised from $80 billion to $88 billion, or a range
--   lifted from $64-72 billion to $66-72 billion (midpoints 1.5 % apart), is a new fact.
-- * Facts without any amount form one cluster per group. Amounts are compared in their own
--   currency, not USD, so that conversions at different dates do not split one figure.
-- * cluster_key identifies the cluster; capex_facts aggregates by it.
create or replace view int_fact_clusters as
with keyed as (
    select
        p.*,
        s.url,
        s.title,
        s.source,
        s.seen_at,
        s.capex_score,
        list_sort(p.companies) as company_key,
        coalesce(p.period, '') as period_key,
        case
            when p.status = 'actual' then 'actual'
            when p.status = 'estimate' then 'estimate'
            else 'forward'
        end as status_class
    from int_fact_periods p
    join int_article_sources s
        on s.article_id = p.article_id
),
ordered as (
    select
        k.*,
        row_number() over w as group_rank,
        lag(k.amount_low_cmp) over w as prev_low,
        lag(k.amount_high_cmp) over w as prev_high
    from keyed k
    window w as (
        partition by k.company_key, k.kind, k.period_key, k.currency, k.status_class
        order by k.amount_low_cmp nulls last, k.amount_high_cmp nulls last, k.seen_at, k.fact_id
    )
),
flagged as (
    select
        o.*,
        case
            when o.group_rank = 1 then 1
            when o.amount_low_cmp is null and o.prev_low is null then 0
            when o.amount_low_cmp is null or o.prev_low is null then 1
            when abs(o.amount_low_cmp - o.prev_low)
                > 0.02 * greatest(abs(o.amount_low_cmp), abs(o.prev_low)) then 1
            when abs(o.amount_high_cmp - o.prev_high)
                > 0.02 * greatest(abs(o.amount_high_cmp), abs(o.prev_high)) then 1
            else 0
        end as starts_cluster
    from ordered o
),
numbered as (
    select
        f.*,
        sum(f.starts_cluster) over (
            partition by f.company_key, f.kind, f.period_key, f.currency, f.status_class
            order by f.amount_low_cmp nulls last, f.amount_high_cmp nulls last, f.seen_at, f.fact_id
            rows between unbounded preceding and current row
        ) as cluster_seq
    from flagged f
),
final as (
    select
        n.* exclude (group_rank, prev_low, prev_high, starts_cluster),
        concat_ws(
            '|',
            array_to_string(n.company_key, ';'),
            n.kind,
            n.period_key,
            n.currency,
            n.status_class,
            n.cluster_seq
        )
            as cluster_key
    from numbered n
)
select * from final
