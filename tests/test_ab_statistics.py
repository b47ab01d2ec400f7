"""The A/B statistics the dbt unit test expects, recomputed here from the textbook formulas.

`ab_summary_matches_textbook_wilson_and_p_value` (dbt_project/models/marts/_marts__unit_tests.yml)
pins the mart's output for holdout 10/100 vs AI 20/100; this test derives the same numbers
independently (Wilson score interval, Wald difference interval, pooled two-proportion z-test
with the normal tail from math.erfc), so the constants in the unit test cannot drift.
"""

import math

import yaml

from runner.dbt import DBT_PROJECT_DIR

Z = 1.959963984540054  # the 97.5 % normal quantile


def wilson(conversions: int, n: int) -> tuple[float, float]:
    p = conversions / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def two_proportion(c1: int, n1: int, c0: int, n0: int) -> tuple[float, float, float, float]:
    p1, p0 = c1 / n1, c0 / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    pooled = (c1 + c0) / (n1 + n0)
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    return p1 - p0, p1 - p0 - Z * se, p1 - p0 + Z * se, math.erfc(abs(z) / math.sqrt(2))


def _expected_rows() -> dict[str, dict]:
    tests = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/_marts__unit_tests.yml").read_text())
    test = next(
        t
        for t in tests["unit_tests"]
        if t["name"] == "ab_summary_matches_textbook_wilson_and_p_value"
    )
    return {row["arm"]: row for row in test["expect"]["rows"] if row["company_id"] == 1}


def test_the_unit_tests_constants_are_the_textbook_values():
    rows = _expected_rows()
    holdout, ai = rows["holdout"], rows["waterfall_ai"]

    assert (float(holdout["ci_low"]), float(holdout["ci_high"])) == tuple(
        round(v, 4) for v in wilson(10, 100)
    )
    assert (float(ai["ci_low"]), float(ai["ci_high"])) == tuple(
        round(v, 4) for v in wilson(20, 100)
    )
    uplift, low, high, p_value = two_proportion(20, 100, 10, 100)
    assert float(ai["uplift_vs_holdout"]) == round(uplift, 4)
    assert (float(ai["uplift_ci_low"]), float(ai["uplift_ci_high"])) == (
        round(low, 4),
        round(high, 4),
    )
    assert float(ai["p_value"]) == round(p_value, 6)


def test_wilson_matches_a_published_example():
    # Newcombe (1998), Statistics in Medicine 17:857, example 81/263: 0.2553 to 0.3662.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment, written from its definition."""
    ordered = sorted(p_values, key=p_values.get)
    adjusted, running = {}, 0.0
    for position, name in enumerate(ordered):
        running = max(running, (len(ordered) - position) * p_values[name])
        adjusted[name] = min(1.0, running)
    return adjusted


def test_the_holm_unit_test_constants_follow_from_the_counts():
    tests = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/_marts__unit_tests.yml").read_text())
    test = next(
        t
        for t in tests["unit_tests"]
        if t["name"] == "holm_adjusts_the_three_comparisons_with_the_holdout"
    )
    rows = {row["arm"]: row for row in test["expect"]["rows"] if row["company_id"] == 1}
    counts = {"control": 20, "waterfall_template": 25, "waterfall_ai": 12}
    raw = {arm: two_proportion(c, 100, 10, 100)[3] for arm, c in counts.items()}

    for arm, adjusted in holm(raw).items():
        assert float(rows[arm]["p_value"]) == round(raw[arm], 6)
        assert float(rows[arm]["p_value_holm"]) == round(adjusted, 6)
        assert rows[arm]["beats_holdout"] is (adjusted < 0.05)
