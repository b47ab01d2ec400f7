"""`nightly --live` over many generated salons, with the local gateway and Gemini. Run by
`make bench`.

Reports, for 10 and for 100 salons (200 clients each, a year of history, the production
layout): the command's peak RSS (it must not grow with the number of salons: salons run one after
another on one set of adapters), the wall time, and the sends per second next to what the
configured limits allow. Nothing waits on pacing here (min gap 0, caps high), so the limits in
the way are Gemini's requests per minute and our own work.
"""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from runner.connections import connect
from runner.synthetic.generate import GenerationPlan, generate_data
from tests.fakes import fake_gateway, fake_gemini, sent_messages
from tests.support import PROJECT_ROOT, build_pipeline, fresh_database, service_environment

pytestmark = pytest.mark.bench

GEMINI_RPM = 600
LIMITS = {
    "REACTIVATION_SEND_WINDOW": "00:00-24:00",
    "REACTIVATION_SEND_DAYS": "mon-sun",
    "REACTIVATION_MIN_GAP_SECONDS": "0",
    "REACTIVATION_HOURLY_CAP": "1000",
    "REACTIVATION_DAILY_CAP": "20",
    "REACTIVATION_GEMINI_RPM": str(GEMINI_RPM),
}


def _nightly_live(env: dict, log_path) -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS (MB) of one `nightly --live` child. Its output
    goes to a file: a pipe nobody reads while we wait would fill and stop it."""
    started = time.perf_counter()
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "runner", "nightly", "--live"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024


@pytest.mark.parametrize("salons", [10, 100])
def test_nightly_live_memory_is_flat_in_the_number_of_salons(services, salons, tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    plan = GenerationPlan(salons, 200, 1.0, 3, now, layout="production")
    with fresh_database(services) as database, connect(database, autocommit=True) as conn:
        generate_data(conn, plan)
        build_pipeline(database)
        with fake_gemini() as gemini, fake_gateway() as gateway:
            env = service_environment(database, services.redis_url) | LIMITS
            env |= {
                "WHATSAPP_API_URL": gateway.url,
                "GEMINI_API_KEY": "bench-key",
                "GEMINI_BASE_URL": gemini.url,
            }
            code, seconds, peak_mb = _nightly_live(env, tmp_path / "nightly.log")
            sent = len(sent_messages(gateway))
            requests = len(gemini.requests)

    assert code == 0, (tmp_path / "nightly.log").read_text()[-3000:]
    print(
        f"\n[bench] nightly --live, {salons} salons: {sent} sent in {seconds:.1f} s"
        f" ({sent / seconds:.1f}/s; {requests} Gemini requests, limit {GEMINI_RPM}/min),"
        f" peak RSS {peak_mb:.0f} MB (the whole command, its dbt build included)"
    )
