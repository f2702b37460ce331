"""What the extraction workers' forkserver loads and warms once, before it forks any worker.

Importing this module (the forkserver does, see tasks/ingest/pool.py) imports the extraction stack
and fills the caches that are otherwise built lazily in every worker. The costly one is
dateparser's: the first date string htmldate cannot read with its own patterns (e.g. "Jun 13,
4:03") makes dateparser compile split regexes for every locale it knows, ~4.5 s of CPU, once per
process. Workers are recycled every WORKER_MAX_TASKS pages, so without this each new worker paid
it again (py-spy showed it as 22% of worker time in a 300-page poll). Workers fork from this
warm process and share the caches copy-on-write.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# A date expression htmldate hands to dateparser, which then tries every locale.
_LOCALE_PROBE = "Jun 13, 4:03"
_WARM_TITLE = "Acme to invest $5 billion in data centers"
_WARM_TEXT = "Acme said on Monday it would invest $5 billion (4.6 billion euros) in AI data centers in 2025."


def warm_up() -> None:
    """Import trafilatura and the fact extractor and fill dateparser's per-locale caches."""
    import trafilatura  # noqa: F401 -- imported here so workers inherit it
    from htmldate.extractors import get_external_parser

    from tasks.extract.extractor import get_extractor

    try:
        get_external_parser().get_date_data(_LOCALE_PROBE)
        get_extractor().analyse(_WARM_TITLE, _WARM_TEXT, None)
    except Exception:
        logger.warning("extraction warm-up failed; workers will warm up on their own", exc_info=True)


warm_up()

__all__ = ["warm_up"]
