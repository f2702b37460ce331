"""Bringing articles in: feeds and HTTP, page fetching, the extraction worker pool, and the steps of a poll
and a backfill (plan a feed, ingest a batch, discover an archive or sitemap, reprocess), and the sources
of `capex extract` (files, URLs, stdin).
"""
