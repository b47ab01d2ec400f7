"""`reactivate demo` from nothing: the whole loop on embedded services, a second run works, and
the commands that follow find the demo's world.

One test: each demo builds its embedded world from nothing (about 40 s on two cores), so the
commands that follow run on the second demo's world instead of a third.
"""

import json
import re
from html.parser import HTMLParser

from runner.migrations import available_migrations
from tests.support import run_cli, service_environment


def test_demo_runs_the_whole_loop_twice_and_hands_its_world_on(tmp_path):
    env = service_environment(None)
    env["REACTIVATION_EMBEDDED_DIR"] = str(tmp_path / "embedded")
    env.pop("WHATSAPP_API_URL", None)
    env.pop("GEMINI_API_KEY", None)

    first = run_cli("demo", env=env, cwd=tmp_path)
    second = run_cli("demo", env=env, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "Postgres (embedded)" in out
    assert f"{len(available_migrations())} migration(s) applied" in out
    assert "generated 3 salons" in out
    assert "dbt build succeeded" in out
    assert "clients due today" in out and "последний визит" in out
    assert "WHATSAPP_API_URL is not set: messages go to a local sink" in out
    assert "Campaign summary" in out and "Sample messages:" in out
    assert "bookings written to the cache" in out
    assert "Timed by rhythm, AI text" in out and "No message (holdout)" in out
    assert "planted" in out and "malformed records" in out  # the expected warning, explained
    assert "reactivate --embedded report --lang ru" in out
    page = (tmp_path / "reactivation-demo-report.html").read_text(encoding="utf-8")
    tags = _tags(page)
    assert {"svg", "table", "style"} <= tags and "script" not in tags
    assert "Без сообщения" in page and "контроль" not in page.lower()

    assert second.returncode == 0, second.stderr
    assert "0 migration(s) applied" in second.stdout
    # A second demo starts the world afresh: the history restarts at run 1, and the campaign
    # sends to every client due today, nobody skipped as contacted by the first demo. (The
    # worlds themselves differ: each is generated as of its own minute, and a record starting
    # between the two becomes a visit.)
    for run in (first.stdout, second.stdout):
        summary = _summary_rows(run)
        assert summary["run"] == ["1", "2", "3"]
        assert summary["skipped"] == summary["failed"] == ["0", "0", "0"]
        assert summary["candidates"] == _due_today(run)
        messaged = zip(summary["sent"], summary["held out"], strict=True)
        assert [int(s) + int(h) for s, h in messaged] == [int(c) for c in summary["candidates"]]
    assert "Traceback" not in first.stderr + second.stderr

    # The commands that follow the demo find its world with --embedded, and say so without.
    without = run_cli("report", "--format", "json", env=env, cwd=tmp_path)
    report = run_cli("--embedded", "report", "--format", "json", env=env, cwd=tmp_path)
    dry_run = run_cli("--embedded", "run", "--company", "900001", "--limit", "2", env=env)

    assert without.returncode == 2 and "--embedded" in without.stderr
    assert report.returncode == 0, report.stderr
    arms = {row["arm"] for row in json.loads(report.stdout)["summary"]}
    assert arms == {"holdout", "control", "waterfall_template", "waterfall_ai"}
    assert dry_run.returncode == 0, dry_run.stderr


def _tags(page: str) -> set[str]:
    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.seen = set()

        def handle_starttag(self, tag, attrs):
            self.seen.add(tag)

    parser = Tags()
    parser.feed(page)
    return parser.seen


def _summary_rows(stdout: str) -> dict[str, list[str]]:
    """The campaign summary table: row label -> one cell per salon."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if line.startswith("│") and len(cells) > 1:
            rows.setdefault(cells[0], cells[1:])
    return rows


def _due_today(stdout: str) -> list[str]:
    return re.findall(r"^  \d+: (\d+) clients due today", stdout, flags=re.MULTILINE)
