-- article_raw: new rows point into append-only pack files beside the database
-- (<database>.raw/YYYY-MM.zst, see tasks/rawstore.py) instead of holding the compressed HTML.
-- DuckDB rewrites a table's last row group at every checkpoint; with ~60 KB of HTML a row, that
-- made every batch's commit slower as the database grew. Rows written before keep their blob;
-- raw_bytes stays the compressed size.
alter table article_raw alter column raw_html_zstd drop not null;
alter table article_raw add column pack varchar;
alter table article_raw add column pack_offset bigint;
