"""Backfill batches on a Dask cluster: batch sizing keeps the task count bounded; batches in flight follow threads."""

from __future__ import annotations

import math

import pytest

from tasks.ingest.cluster import BATCHES_PER_DASK_THREAD, MAX_DASK_BATCHES, dask_batch_size, dask_in_flight
from tasks.ingest.poll import BATCH_SIZE, policy_batches
from tasks.models import QueuedURL


@pytest.mark.parametrize("n_urls", [0, 1, 49, 50, 5_000, 25_000, 25_001, 100_000, 1_000_000])
def test_dask_batches_stay_under_the_cap_and_never_shrink_below_the_local_size(n_urls: int) -> None:
    """However long the URL list, it makes at most MAX_DASK_BATCHES batches of at least BATCH_SIZE pages."""
    size = dask_batch_size(n_urls, BATCH_SIZE)
    assert size >= BATCH_SIZE
    assert math.ceil(n_urls / size) <= MAX_DASK_BATCHES
    assert MAX_DASK_BATCHES < 2_000


def test_policy_batches_take_the_cluster_size() -> None:
    """policy_batches cuts one origin's URLs into batches of the given size (BATCH_SIZE by default)."""
    urls = [QueuedURL(url=f"https://a.example/{i}", published_at=None, listing_url=None, is_trusted=False)
            for i in range(30_000)]
    size = dask_batch_size(len(urls), BATCH_SIZE)
    assert [len(b) for b in policy_batches(urls, size)] == [size] * (len(urls) // size) + (
        [len(urls) % size] if len(urls) % size else [])
    assert len(policy_batches(urls)) == len(urls) // BATCH_SIZE


def test_batches_in_flight_follow_the_cluster_threads() -> None:
    """Two batches per Dask thread are kept submitted: one running, one waiting."""
    assert dask_in_flight(8) == 8 * BATCHES_PER_DASK_THREAD
    assert dask_in_flight(0) == 1
