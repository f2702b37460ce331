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
alter table page_failures add column status varchar default 'retrying';
alter table page_failures add column next_attempt_at timestamp;
alter table page_failures add column guid varchar;
alter table page_failures add column title varchar;
alter table page_failures add column published_at timestamp;
alter table page_failures add column listing_url varchar;
alter table page_failures add column is_trusted boolean default false;
alter table page_failures add column backfill_id varchar;

-- rows from before: three failures meant "given up" (the old MAX_PAGE_ATTEMPTS)
update page_failures
set status = case when n_attempts >= 3 then 'given_up' else 'retrying' end,
    next_attempt_at = last_failed_at,
    is_trusted = false;

-- pipeline_runs: which process runs a flow, so a row left 'running' by a killed process can be
-- closed as 'failed' by the next run on the same host.
alter table pipeline_runs add column host varchar;
alter table pipeline_runs add column pid integer;
