"""The build's node order: longest chain first, a node handed out only to a free thread."""

import threading
from types import SimpleNamespace

import networkx as nx
from dbt.graph.queue import GraphQueue

from runner.dbt_scheduling import chain_priorities, critical_path_first


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
    assert priorities["test.p.source_check_0"] == -0.1
    assert priorities["model.p.stg_companies"] == -1.0
    assert priorities["model.p.stg_history"] == -3.1


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
