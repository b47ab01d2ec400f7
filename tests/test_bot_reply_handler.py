"""The bot-side reply handler (integrations/ai_admin_v2), run by Node's own test runner against
what a real live campaign left in real Redis and Postgres."""

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime

from runner.connections import postgres_environment
from tests.campaign_support import COMPANY, add_candidates, live_run, prepare_salon
from tests.fakes import fake_gateway
from tests.support import PROJECT_ROOT

HANDLER_DIR = PROJECT_ROOT / "integrations" / "ai_admin_v2"
NODE_TIMEOUT_SECONDS = 120


def test_the_bots_reply_handler_passes_its_node_tests(database, conn, services, tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is needed for the bot's reply handler tests (see README)"
    assert (HANDLER_DIR / "node_modules").is_dir(), (
        "the handler's test dependencies are missing: `make test` installs them (npm ci)"
    )
    # Given a live campaign to five clients, at the real time (the handler checks replyUntil).
    prepare_salon(conn)
    add_candidates(conn, 5)
    with fake_gateway() as gateway:
        summary = live_run(database, services, gateway, now=lambda: datetime.now(UTC))
    assert summary.counts["sent"] == 5
    phones = [
        p
        for (p,) in conn.execute(
            "select phone from reactivation.client_reactivation_history order by client_id"
        )
    ]
    fixture = tmp_path / "fixture.json"
    fixture.write_text(
        json.dumps({"companyId": COMPANY, "timeZone": "Europe/Moscow", "phones": phones})
    )

    # When Node's test runner runs the handler's tests against those servers
    env = {
        "PATH": os.environ.get("PATH", ""),
        **postgres_environment(database),
        "REDIS_URL": services.redis_url,
        "REACTIVATION_FIXTURE": str(fixture),
    }
    result = subprocess.run(
        [node, "--test", "test/"],
        cwd=HANDLER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )

    # Then every one passes
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 8" in result.stdout, result.stdout[-4000:]
