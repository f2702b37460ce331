-- page_failures becomes the retry queue of pages (issue 17): a page a feed or a backfill listed
-- that was not stored is kept here until it is stored (the row is then deleted) or given up.
-- Grain: one row per page URL (normalised), whatever listed it.
-- Rules: status 'retrying' pages are fetched again by the next poll once next_attempt_at has come,
-- whether or not their feed changed; status 'given_up' pages (a permanent error such as HTTP 404
-- or an SSRF block, or MAX_PAGE_ATTEMPTS transient failures) are not fetched again by polls.
-- A batch that failed as a whole (disk full, lock timeout, database error) queues its pages
-- without consuming their attempts: the fault was the store's, not the page's.
-- The job's context (GUID, title, date, listing URL, trust) is kept so a retry fetches the page
-- under the same SSRF policy and stores the same article row a first attempt would have.
-- (a new table copied from the old one: DuckDB refuses to update rows of a table altered in the
-- same transaction)
create table page_failures_v5 (
    url varchar primary key,
    feed_id integer,
    first_failed_at timestamp not null,
    last_failed_at timestamp not null,
    n_attempts integer not null default 1, -- failed attempts (a batch fault costs none)
    http_status integer,
    error varchar not null,                -- the last error
    status varchar not null default 'retrying',  -- retrying | given_up
    next_attempt_at timestamp,             -- null once given up
    guid varchar,
    title varchar,
    published_at timestamp,
    listing_url varchar,                   -- the feed or sitemap that listed it (SSRF policy origin)
    is_trusted boolean not null default false,  -- the user gave this URL (backfill --urls)
    backfill_id varchar                    -- the backfill that discovered it, if any
);

-- rows from before: three failures meant "given up" (the old MAX_PAGE_ATTEMPTS)
insert into page_failures_v5 (url, feed_id, first_failed_at, last_failed_at, n_attempts, http_status, error,
                              status, next_attempt_at)
select
    url,
    feed_id,
    first_failed_at,
    last_failed_at,
    n_attempts,
    http_status,
    error,
    case when n_attempts >= 3 then 'given_up' else 'retrying' end,
    case when n_attempts >= 3 then null else last_failed_at end
from page_failures;

drop table page_failures;
alter table page_failures_v5 rename to page_failures;

-- pipeline_runs: which process runs a flow, so a row left 'running' by a killed process can be
-- closed as 'failed' by the next run on the same host.
alter table pipeline_runs add column host varchar;
alter table pipeline_runs add column pid integer;
