-- Backfill checkpoints: a backfill first discovers its URLs into backfill_queue, then ingests them
-- in batches, marking each URL done; a backfill started again with the same parameters resumes
-- from the pending rows instead of starting over.
-- Grain: backfills = one row per distinct backfill (source and parameters);
-- backfill_queue = one row per (backfill, URL).

create table backfills (
    backfill_id varchar primary key,  -- hash of the source and its parameters
    source varchar not null,          -- feeds | urls | sitemap | reprocess
    params json not null,
    status varchar not null,          -- discovering | running | completed
    started_at timestamp not null,
    updated_at timestamp not null,
    finished_at timestamp,
    n_discovered integer not null default 0,
    n_done integer not null default 0,
    n_new integer not null default 0,
    n_failed integer not null default 0,
    errors varchar[]
);

create table backfill_queue (
    backfill_id varchar not null,
    url varchar not null,
    published_at timestamp,
    listing_url varchar,              -- the feed page or sitemap that listed it (SSRF exemption origin)
    is_trusted boolean not null,      -- the user gave this URL (--urls)
    is_done boolean not null default false,
    primary key (backfill_id, url)
);
