-- Core tables of capex-monitor: feeds and their polls, feed items, articles (with raw HTML
-- kept zstd-compressed for reprocessing), page failures and extracted facts.
-- Grain: feeds = one row per configured feed URL; feed_polls = one row per poll attempt;
-- feed_items = one row per (feed, item key); articles = one row per canonical article URL;
-- facts = one row per extracted figure of one article and extractor version.

create sequence feeds_seq start 1;
create sequence feed_polls_seq start 1;

create table feeds (
    feed_id integer primary key default nextval('feeds_seq'),
    name varchar not null,
    url varchar not null unique,
    tags varchar[],
    etag varchar,
    last_modified varchar,
    last_polled_at timestamp,
    last_success_at timestamp,
    last_status varchar,
    last_http_status integer,
    last_error varchar,
    consecutive_failures integer not null default 0,
    next_poll_at timestamp,
    is_active boolean not null default true,
    created_at timestamp not null default (now() at time zone 'UTC')
);

create table feed_polls (
    poll_id bigint primary key default nextval('feed_polls_seq'),
    feed_id integer not null,
    run_id varchar,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,          -- ok | not_modified | error
    http_status integer,
    items_seen integer not null default 0,
    items_new integer not null default 0,
    pages_failed integer not null default 0,
    bytes_received bigint,
    error varchar
);

create table feed_items (
    feed_id integer not null,
    item_key varchar not null,        -- the GUID when the feed gives one, else the normalised URL
    url varchar not null,
    title varchar,
    published_at timestamp,
    first_seen_at timestamp not null,
    primary key (feed_id, item_key)
);

create table articles (
    article_id varchar primary key,   -- first 16 hex digits of sha256(normalised URL)
    url varchar not null unique,
    guid varchar,
    feed_id integer,
    title varchar,
    author varchar,
    site_name varchar,
    published_at timestamp,
    fetched_at timestamp not null,
    language varchar,
    text varchar,
    is_capex boolean not null,
    capex_score double not null,
    capex_reasons varchar[],
    extractor_version varchar not null
);

create table article_raw (
    article_id varchar primary key,
    raw_html_zstd blob not null,
    raw_bytes integer
);

create table page_failures (
    url varchar primary key,
    feed_id integer,
    first_failed_at timestamp not null,
    last_failed_at timestamp not null,
    n_attempts integer not null default 1,
    http_status integer,
    error varchar not null
);

create table facts (
    fact_id varchar primary key,      -- article_id, extractor version and position, hashed
    article_id varchar not null,
    companies varchar[] not null,
    amount double,
    amount_low double,
    amount_high double,
    currency varchar not null,
    amount_usd double,
    period varchar,
    period_start date,
    period_end date,
    kind varchar not null,
    status varchar not null,
    qualifier varchar,
    evidence varchar not null,
    evidence_start integer not null,
    evidence_end integer not null,
    extractor_version varchar not null,
    created_at timestamp not null
);

create table pipeline_runs (
    run_id varchar primary key,
    flow varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    summary json
);

