"""Helpers shared by tests: a generated news site with paged feeds, archives and sitemaps."""
