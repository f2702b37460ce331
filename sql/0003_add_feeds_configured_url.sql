-- feeds.configured_url: the URL as written in the feeds file. `url` follows permanent redirects
-- (301/308), so the feed keeps one row, and one history, after it moves.
alter table feeds add column configured_url varchar;
update feeds set configured_url = url;
