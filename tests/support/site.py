"""A generated news site served on 127.0.0.1: article pages, RFC 5005 archives, WordPress paging, sitemaps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

from tasks.demo import serve_on_loopback
from tests.support.feeds import Item, rss_feed

_BODY = (
    "<p>The regional council met on {day} to discuss item {n} on its agenda, a plan for new bicycle lanes "
    "along the river and a review of the bus timetable that commuters had asked for since spring.</p>"
    "<p>Councillors heard from residents who described the morning traffic near the schools and asked for "
    "safer crossings, while shop owners worried about deliveries during the construction works.</p>"
    "<p>The council agreed to publish a detailed proposal next month and to hold two public meetings "
    "before any decision, so that every neighbourhood can comment on the routes.</p>"
)
_CAPEX = (
    "<p>Microsoft said on {day} it would spend $12 billion on new AI data centers in 2025, doubling its "
    "capital expenditure as demand for GPUs and compute capacity keeps rising. The data center campuses will "
    "house AI chips and servers, and the company said power for the sites is secured.</p>"
)


def article_html(n: int, day: datetime, capex: bool = False) -> bytes:
    """A realistic article page (boilerplate around a few paragraphs)."""
    extra = _CAPEX.format(day=day.strftime("%B %d")) if capex else ""
    title = f"Microsoft to spend $12 billion on AI data centers (story {n})" if capex else f"Council agenda item {n}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{day.isoformat()}Z"></head><body>'
        f'<nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>{title}</h1>{extra}'
        f"{_BODY.format(day=day.strftime('%B %d'), n=n)}</article><footer>Copyright Example Gazette</footer>"
        "</body></html>"
    ).encode()


class Site:
    """Routes of the generated site; `delay_s` slows every article page down (for kill tests)."""

    def __init__(self, n_articles: int = 12, start: datetime = datetime(2025, 3, 1), capex_every: int = 4) -> None:
        self.days = [start - timedelta(days=i) for i in range(n_articles)]  # newest first
        self.capex_every = capex_every
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.delay_s = 0.0
        self.hits: dict[str, int] = {}

    def article_path(self, i: int) -> str:
        """Path of article i (0 is the newest)."""
        return f"/news/{i}.html"

    def build(self, base: str, per_page: int = 4) -> None:
        """Create every route for the server at `base`."""
        for i, day in enumerate(self.days):
            self.routes[self.article_path(i)] = (article_html(i, day, i % self.capex_every == 0), "text/html")
        pages = [list(range(i, min(i + per_page, len(self.days)))) for i in range(0, len(self.days), per_page)]
        for p, ids in enumerate(pages, start=1):
            nxt = f'<atom:link rel="next" href="{base}/archive/{p + 1}.xml"/>' if p < len(pages) else ""
            self.routes[f"/archive/{p}.xml"] = (self.rss(base, ids, nxt), "application/rss+xml")
            wp_gen = "<generator>https://wordpress.org/?v=6.5</generator>"
            self.routes[f"/wp/feed/?paged={p}" if p > 1 else "/wp/feed/"] = (
                self.rss(base, ids, "", wp_gen), "application/rss+xml")
        self.routes["/loop/a.xml"] = (self.rss(base, [0], f'<atom:link rel="next" href="{base}/loop/b.xml"/>'),
                                      "application/rss+xml")
        self.routes["/loop/b.xml"] = (self.rss(base, [1], f'<atom:link rel="prev-archive" href="{base}/loop/a.xml"/>'),
                                      "application/rss+xml")
        urls = "".join(
            f"<url><loc>{base}{self.article_path(i)}</loc><lastmod>{d.date().isoformat()}</lastmod></url>"
            for i, d in enumerate(self.days) if i % 2 == 0)
        news = "".join(
            f'<url><loc>{base}{self.article_path(i)}</loc><news:news><news:publication_date>{d.isoformat()}Z'
            f"</news:publication_date></news:news></url>" for i, d in enumerate(self.days) if i % 2 == 1)
        sm = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        self.routes["/sitemap-pages.xml"] = (f'<?xml version="1.0"?><urlset {sm}>{urls}</urlset>'.encode(),
                                             "application/xml")
        self.routes["/sitemap-news.xml"] = (
            f'<?xml version="1.0"?><urlset {sm} xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{news}</urlset>".encode(), "application/xml")
        self.routes["/sitemap.xml"] = (
            f'<?xml version="1.0"?><sitemapindex {sm}><sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap>'
            f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap><sitemap><loc>{base}/broken-sitemap.xml</loc>"
            "</sitemap></sitemapindex>".encode(), "application/xml")
        self.routes["/broken-sitemap.xml"] = (b"<html><body>Not a sitemap</body></html>", "text/html")

    def rss(self, base: str, ids: list[int], links: str, extra: str = "") -> bytes:
        """An RSS page listing the given articles, with feed-level links."""
        items = [Item(f"Story {i}", f"{base}{self.article_path(i)}?utm_source=rss",
                      guid=f"{base}{self.article_path(i)}", published=self.days[i]) for i in ids]
        return rss_feed(items, title="Gazette", link=f"{base}/", extra=extra + links)


@contextmanager
def serve_site(site: Site) -> Iterator[str]:
    """Serve `site` on 127.0.0.1 at a free port; yield its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.hits[self.path] = site.hits.get(self.path, 0) + 1
            entry = site.routes.get(self.path) or site.routes.get(self.path.split("?utm", 1)[0])
            if entry is None:
                self.send_error(404)
                return
            if self.path.startswith("/news/") and site.delay_s:
                time.sleep(site.delay_s)
            body, ctype = entry
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    def handler_for(base: str) -> type[BaseHTTPRequestHandler]:
        site.build(base)
        return Handler

    with serve_on_loopback(handler_for) as base:
        yield base
