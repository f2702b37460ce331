-- int_fact_periods: current facts with the granularity of their period.
-- Grain: one row per current fact (int_current_facts).
-- Rules: period_type is 'year' ("2025"), 'half' ("2024-H1"), 'quarter' ("2025-Q3"),
-- 'fiscal_year' ("FY2025"), 'multi_year' ("2025-2028", inclusive span) or 'none' (null or an
-- unrecognised period). is_multi_year facts are totals over several years: they are never added
-- to annual or shorter figures in any view. n_period_years = calendar years a span covers
-- (1 for a year or shorter, null without a period). Range facts are compared by both ends:
-- amount_low_cmp/amount_high_cmp equal the amount for a point figure.
create or replace view int_fact_periods as
with typed as (
    select
        f.*,
        case
            when regexp_full_match(f.period, '\d{4}') then 'year'
            when regexp_full_match(f.period, '\d{4}-H[12]') then 'half'
            when regexp_full_match(f.period, '\d{4}-Q[1-4]') then 'quarter'
            when regexp_full_match(f.period, 'FY\d{4}') then 'fiscal_year'
            when regexp_full_match(f.period, '\d{4}-\d{4}') then 'multi_year'
            else 'none'
        end as period_type
    from int_current_facts f
),
final as (
    select
        t.*,
        t.period_type = 'multi_year' as is_multi_year,
        case
            when t.period_type = 'multi_year'
                then cast(right(t.period, 4) as integer) - cast(left(t.period, 4) as integer) + 1
            when t.period_type = 'none' then null
            else 1
        end as n_period_years,
        coalesce(t.amount, t.amount_low) as amount_low_cmp,
        coalesce(t.amount, t.amount_high) as amount_high_cmp
    from typed t
)
select * from final
