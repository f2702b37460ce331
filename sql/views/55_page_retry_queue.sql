-- page_retry_queue: every page a feed or a backfill listed that is not stored: waiting for another
-- attempt ('retrying') or given up with its reason ('given_up').
-- Grain: one row per page URL (page_failures rows; a page leaves when it is stored).
-- Rules: is_due = a retrying page whose next attempt time has come (the next poll fetches it);
-- feed_name is null for pages a backfill listed (backfill_id says which).
create or replace view page_retry_queue as
with final as (
    select
        q.url,
        q.status,
        q.n_attempts,
        q.next_attempt_at,
        coalesce(q.status = 'retrying' and coalesce(q.next_attempt_at, q.last_failed_at) <= (now() at time zone 'UTC'), false)
            as is_due,
        q.error as last_error,
        q.http_status as last_http_status,
        q.first_failed_at,
        q.last_failed_at,
        q.feed_id,
        f.name as feed_name,
        q.backfill_id,
        q.listing_url,
        q.title,
        q.published_at
    from page_failures q
    left join feeds f
        on f.feed_id = q.feed_id
)
select * from final
