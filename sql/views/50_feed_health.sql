-- feed_health: one row per feed: its current state and its polls of the last 7 days.
-- Grain: one row per feed (inactive feeds included, flagged by is_active).
-- Rules: windows are the 7 days before now (UTC), by poll start; a poll is an error when its
-- status is 'error' (not_modified is a success). is_failing = the last poll failed
-- (consecutive_failures > 0 or last_status 'error'). health: 'inactive' (disabled, e.g. after a
-- 410), 'never_polled', 'failing', else 'ok'. pages_retrying / pages_given_up: the feed's pages in
-- the retry queue (page_failures) waiting for another attempt, and given up with a reason.
create or replace view feed_health as
with polls_7d as (
    select
        feed_id,
        count(*) as polls_7d,
        count(*) filter (where status = 'error') as errors_7d,
        cast(coalesce(sum(items_new), 0) as bigint) as items_new_7d,
        max(started_at) as last_poll_started_at
    from feed_polls
    where started_at >= (now() at time zone 'UTC') - interval 7 day
    group by feed_id
),
queue as (
    select
        feed_id,
        count(*) filter (where status = 'retrying') as pages_retrying,
        count(*) filter (where status = 'given_up') as pages_given_up
    from page_failures
    where feed_id is not null
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
        coalesce(p.polls_7d, 0) as polls_7d,
        coalesce(p.errors_7d, 0) as errors_7d,
        coalesce(p.items_new_7d, 0) as items_new_7d,
        f.is_active,
        f.next_poll_at,
        f.last_error,
        f.last_http_status,
        f.last_polled_at,
        coalesce(q.pages_retrying, 0) as pages_retrying,
        coalesce(q.pages_given_up, 0) as pages_given_up,
        coalesce(f.consecutive_failures > 0 or f.last_status = 'error', false) as is_failing,
        case
            when not f.is_active then 'inactive'
            when f.last_polled_at is null and f.last_status is null then 'never_polled'
            when coalesce(f.consecutive_failures > 0 or f.last_status = 'error', false) then 'failing'
            else 'ok'
        end as health
    from feeds f
    left join polls_7d p
        on p.feed_id = f.feed_id
    left join queue q
        on q.feed_id = f.feed_id
)
select * from final
