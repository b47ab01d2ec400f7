"""Critical path first: the order in which dbt's threads take the build's nodes.

dbt orders ready nodes by graph depth, then by name, and its dispatcher hands every ready
node to the thread pool's first-in-first-out queue at once, so in practice a node runs in the
order it became ready. The build's longest chain (the visit history's staging, then the
visits, gaps, rhythms and intervals) then waits behind dozens of small tests that happened to
be ready first: on 100 salons the history staging started 4.0 s into a full build and 1.4 s
into a nightly one, with one of the two threads idle at the end of each.

While a build runs, `critical_path_first()` makes dbt's queue (dbt-core 1.11):
- hand a node out only when a thread is free to run it, so the priority decides; and
- give each node the priority of the longest chain of work that waits on it, so the head of
  the longest chain is taken first. A chain's length is in seconds: each node's time in the
  build before (dbt's run_results.json), else a typical model's or test's. Counted in nodes,
  the bot bookings' two quick views outranked the visit history's staging (1.5 s of a
  nightly build), which then started 0.4 s late, behind them.
It changes the order only: every node still waits for everything dbt says it waits for. If
dbt's internals are not the ones this was written against, the build runs in dbt's own order.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import networkx as nx

log = logging.getLogger(__name__)

# A node's seconds in the longest-chain sum when the build before did not time it: what a
# node of its kind typically costs a nightly build here. A model builds a table; a test, a
# seed or a hook runs one quick query.
MODEL_SECONDS = 0.3
OTHER_SECONDS = 0.03


def chain_priorities(
    graph: nx.DiGraph, seconds: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Each node's priority for dbt's queue (lower first): minus the seconds of the longest
    chain it heads, from each node's time in `seconds`, else its kind's typical time."""
    seconds = seconds or {}
    longest: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        below = max((longest[child] for child in graph.successors(node)), default=0.0)
        longest[node] = seconds.get(node, _typical_seconds(node)) + below
    return {node: -chain for node, chain in longest.items()}


def _typical_seconds(node_id: str) -> float:
    return MODEL_SECONDS if node_id.startswith("model.") else OTHER_SECONDS


def recorded_seconds(run_results: Path) -> dict[str, float]:
    """Each node's execution time in the build dbt last recorded; none when unreadable."""
    try:
        results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
        return {
            result["unique_id"]: max(0.0, float(result["execution_time"])) for result in results
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


@contextmanager
def critical_path_first(seconds: Mapping[str, float] | None = None) -> Iterator[None]:
    """While the block runs, dbt's build queue takes the longest chain first (see above),
    chains timed by `seconds` (each node's time in the build before) where they have one."""
    try:
        from dbt.graph.queue import GraphQueue
        from dbt.task.runnable import GraphRunnableTask

        original_scores = GraphQueue._get_scores
        original_get = GraphQueue.get
        original_run_queue = GraphRunnableTask.run_queue
    except (ImportError, AttributeError) as missing:
        log.warning("dbt's queue is not the one expected (%s): dbt's own order", missing)
        yield
        return

    def get_when_a_thread_is_free(queue, block=True, timeout=None):
        # Only dbt's dispatcher thread takes nodes, so in_progress grows here alone.
        limit = getattr(queue, "threads_free_limit", None)
        if limit and hasattr(queue, "some_task_done") and hasattr(queue, "in_progress"):
            with queue.lock:
                while len(queue.in_progress) >= limit:
                    queue.some_task_done.wait()
        return original_get(queue, block=block, timeout=timeout)

    def run_queue_with_limit(task, pool):
        task.job_queue.threads_free_limit = max(1, int(task.config.threads or 1))
        return original_run_queue(task, pool)

    GraphQueue._get_scores = lambda queue, graph: chain_priorities(graph, seconds)
    GraphQueue.get = get_when_a_thread_is_free
    GraphRunnableTask.run_queue = run_queue_with_limit
    try:
        yield
    finally:
        GraphQueue._get_scores = original_scores
        GraphQueue.get = original_get
        GraphRunnableTask.run_queue = original_run_queue
