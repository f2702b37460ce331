-- feed_health: one row per feed with its current state and its last 7 days of polls.
-- Rules: a poll counts as an error when its status is 'error'; windows are relative to now (UTC).
create or replace view feed_health as
with polls_7d as (
    select
        feed_id,
        count(*) as polls_7d,
        count(*) filter (where status = 'error') as errors_7d,
        coalesce(sum(items_new), 0) as items_new_7d
    from feed_polls
    where started_at >= (now() at time zone 'UTC') - interval 7 day
    group by feed_id
),
final as (
    select
        f.feed_id,
        f.name,
        f.url,
        f.last_status,
        f.consecutive_failures,
        f.last_success_at,
        f.last_polled_at,
        f.next_poll_at,
        f.last_error,
        f.is_active,
        coalesce(p.polls_7d, 0) as polls_7d,
        coalesce(p.errors_7d, 0) as errors_7d,
        coalesce(p.items_new_7d, 0) as items_new_7d
    from feeds f
    left join polls_7d p
        on p.feed_id = f.feed_id
)
select * from final
