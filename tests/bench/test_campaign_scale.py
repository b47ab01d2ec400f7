"""Campaign throughput under the shared Gemini limit, and our own overhead per client.

Run by `make bench`. Reports:
- 100 `waterfall_ai` candidates, batch size 5 (20 requests), a local Gemini answering in about
  1 s, a shared limit of 15 requests/min, pacing off. The limit's floor is about 60 s (15
  requests at once, 5 more when the first minute ends); the earlier design (one request per
  client and a fixed 4 s pause) needs about 400 s.
- The same loop with local services answering instantly and no limit in the way: wall time per
  client minus the time spent inside the gateway and model calls is our own overhead.
"""

import time
from dataclasses import replace

import pytest

from runner.connections import connect
from tests.campaign_support import add_candidates, campaign_settings, outreach, prepare_salon
from tests.campaign_support import run_once as run_campaign_once
from tests.fakes import Behaviour, fake_gateway, fake_gemini, sent_messages
from tests.support import fresh_database

pytestmark = pytest.mark.bench

FLOOR_SECONDS = 60.0
EARLIER_DESIGN_SECONDS = 400.0


class _Timed:
    """Wraps an adapter and adds up the time spent inside it."""

    def __init__(self, inner, method: str) -> None:
        self.inner, self.method, self.seconds = inner, method, 0.0

    def __getattr__(self, name):
        attribute = getattr(self.inner, name)
        if name != self.method:
            return attribute

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return attribute(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def _campaign(services, *, clients, gemini_delay, rpm):
    settings = campaign_settings(batch_size=5, gemini_rpm=rpm, min_gap_seconds=0.0)
    with (
        fresh_database(services) as database,
        connect(database, autocommit=True) as conn,
        fake_gemini(Behaviour(delay_seconds=gemini_delay)) as gemini,
        fake_gateway() as gateway,
        outreach(
            database,
            services.redis_url,
            settings=settings,
            gateway_url=gateway.url,
            gemini_url=gemini.url,
        ) as out,
    ):
        prepare_salon(conn)
        add_candidates(conn, clients, arms=("waterfall_ai",))
        sender = _Timed(out.sender, "send")
        contexts = out.contexts
        out = replace(out, sender=sender, contexts=contexts)
        started = time.perf_counter()
        summary = run_campaign_once(out)
        elapsed = time.perf_counter() - started
        assert summary.counts["sent"] == clients
        assert summary.counts["source_ai"] == clients
        assert len(sent_messages(gateway)) == clients
        return elapsed, sender.seconds, len(gemini.requests)


def test_100_ai_clients_under_a_shared_limit_of_15_per_minute(services):
    elapsed, _, requests = _campaign(services, clients=100, gemini_delay=1.0, rpm=15)

    print(
        f"\n100 waterfall_ai clients, batch 5, 15 rpm, Gemini ~1 s: {elapsed:.1f} s "
        f"({requests} requests); floor {FLOOR_SECONDS:.0f} s -> {elapsed / FLOOR_SECONDS:.2f}x "
        f"(goal <= 1.2x); earlier design ~{EARLIER_DESIGN_SECONDS:.0f} s -> "
        f"{EARLIER_DESIGN_SECONDS / elapsed:.1f}x faster (goal >= 5x)"
    )
    assert requests == 20
    assert elapsed <= 1.2 * FLOOR_SECONDS + 5


def test_our_own_overhead_per_client(services):
    clients = 500
    elapsed, in_gateway, _ = _campaign(services, clients=clients, gemini_delay=0.0, rpm=10_000)

    overhead_ms = (elapsed - in_gateway) / clients * 1000
    print(
        f"\n{clients} clients, local services answering instantly: {elapsed:.2f} s in all, "
        f"{elapsed / clients * 1000:.2f} ms per client, of which ours (outside the gateway "
        f"call) {overhead_ms:.2f} ms (goal < 5 ms)"
    )
    assert overhead_ms < 5
