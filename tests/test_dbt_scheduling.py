"""The build's node order: longest chain first, a node handed out only to a free thread."""

import json
import threading
from types import SimpleNamespace

import networkx as nx
import pytest
from dbt.graph.queue import GraphQueue

from runner.dbt_scheduling import chain_priorities, critical_path_first, recorded_seconds


class _Manifest:
    """What dbt's queue asks of the manifest: each node's resource type."""

    def expect(self, node_id):
        return SimpleNamespace(unique_id=node_id, resource_type=node_id.split(".")[0])


def _build_graph() -> nx.DiGraph:
    # A quick model and five quick tests ready at the start, beside the head of a chain of three
    # models. dbt's own order (depth, then name) would take the quick model first.
    graph = nx.DiGraph()
    graph.add_edges_from(
        [
            ("model.p.stg_history", "test.p.not_null_stg_history"),
            ("test.p.not_null_stg_history", "model.p.int_visits"),
            ("model.p.int_visits", "model.p.client_intervals"),
        ]
    )
    graph.add_nodes_from(f"test.p.source_check_{n}" for n in range(5))
    graph.add_node("model.p.stg_companies")
    return graph


def test_the_head_of_the_longest_chain_comes_first_and_a_test_counts_less_than_a_model():
    priorities = chain_priorities(_build_graph())

    assert min(priorities, key=priorities.get) == "model.p.stg_history"
    # Lower is earlier: each step of the chain outranks the quick checks beside it.
    assert priorities["model.p.stg_history"] < priorities["test.p.not_null_stg_history"]
    assert priorities["model.p.int_visits"] < priorities["test.p.source_check_0"]
    assert priorities["test.p.source_check_0"] == pytest.approx(-0.03)
    assert priorities["model.p.stg_companies"] == pytest.approx(-0.3)
    assert priorities["model.p.stg_history"] == pytest.approx(-0.93)


def test_chains_are_timed_by_the_build_before_where_it_timed_them():
    """Two quick views ahead of a chain outrank one model by count, not by the seconds the
    last build measured: the slow model heads the longer chain."""
    graph = nx.DiGraph()
    graph.add_edges_from(
        [
            ("model.p.stg_bookings_current", "model.p.stg_bookings"),
            ("model.p.stg_bookings", "model.p.int_visits"),
            ("model.p.stg_visit_history", "model.p.int_visits"),
        ]
    )
    measured = {
        "model.p.stg_bookings_current": 0.07,
        "model.p.stg_bookings": 0.2,
        "model.p.stg_visit_history": 1.5,
    }

    by_count = chain_priorities(graph)
    by_time = chain_priorities(graph, measured)

    assert min(by_count, key=by_count.get) == "model.p.stg_bookings_current"
    assert min(by_time, key=by_time.get) == "model.p.stg_visit_history"
    # int_visits was not timed: a typical model's seconds.
    assert by_time["model.p.stg_visit_history"] == pytest.approx(-1.8)


def test_the_times_are_read_from_dbt_run_results_and_a_bad_file_gives_none(tmp_path):
    run_results = tmp_path / "run_results.json"
    run_results.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.p.a", "execution_time": 1.25},
                    {"unique_id": "test.p.b", "execution_time": 0.04},
                ]
            }
        )
    )
    assert recorded_seconds(run_results) == {"model.p.a": 1.25, "test.p.b": 0.04}

    run_results.write_text("{not json")
    assert recorded_seconds(run_results) == {}
    assert recorded_seconds(tmp_path / "missing.json") == {}


def test_dbt_queue_hands_out_a_node_only_when_a_thread_is_free_and_longest_chain_first():
    with critical_path_first():
        queue = GraphQueue(_build_graph(), _Manifest(), set(_build_graph()))
        queue.threads_free_limit = 1  # what run_queue sets from the profile's threads
        first = queue.get()
        taken = []
        second = threading.Thread(target=lambda: taken.append(queue.get().unique_id))
        second.start()
        second.join(timeout=0.3)
        waited_while_busy = second.is_alive()
        queue.mark_done(first.unique_id)
        second.join(timeout=5)

    assert first.unique_id == "model.p.stg_history"
    assert waited_while_busy, "a second node was handed out while the only thread was busy"
    assert taken == ["test.p.not_null_stg_history"]


def test_outside_a_build_dbt_queue_is_dbt_own():
    with critical_path_first():
        pass
    queue = GraphQueue(_build_graph(), _Manifest(), set(_build_graph()))

    # dbt's own scores: graph depth, so every node ready at the start scores 0 and the
    # quick model comes first by its name.
    assert queue._scores["test.p.source_check_0"] == 0
    assert queue._scores["model.p.stg_history"] == 0
    assert queue.get().unique_id == "model.p.stg_companies"
