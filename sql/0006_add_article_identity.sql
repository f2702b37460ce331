-- articles: the outlet and content identity of each article (issue 15).
-- outlet = the registered domain of the article's URL (tasks/identity.py): the same for an article
-- whether a feed or a backfill brought it, so outlets are counted once ("Techwire" the feed and
-- "TechWire" the site are one outlet, techwire.com).
-- content_hash = the fingerprint of its text (its longest sentences); duplicate_of = the article_id
-- of the first stored article with the same fingerprint (syndicated copies, AMP/mobile pages,
-- tracking variants the URL normaliser misses), null for an original. Views count a copy once.
-- Rows stored before are filled by the store when it migrates (the registered domain needs the
-- public suffix list, which SQL does not have).
alter table articles add column outlet varchar;
alter table articles add column content_hash varchar;
alter table articles add column duplicate_of varchar;
