"""The A/B statistics the dbt unit test expects, recomputed here from the textbook formulas.

`ab_summary_matches_textbook_wilson_and_p_value` (dbt_project/models/marts/_marts__unit_tests.yml)
pins the mart's output for holdout 10/100 vs AI 20/100; this test derives the same numbers
independently (Wilson score interval, Wald difference interval, pooled two-proportion z-test
with the normal tail from math.erfc), so the constants in the unit test cannot drift.
"""

import math

import pytest
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


def mantel_haenszel(strata: list[tuple[int, int, int, int]]) -> tuple[float, float, float, float]:
    """Mantel-Haenszel risk difference over (y1, n1, y0, n0) strata with Sato's (1989)
    variance, as Greenland and Robins give it; returns (difference, low, high, p)."""
    weights = sum(n1 * n0 / (n1 + n0) for _, n1, _, n0 in strata)
    difference = sum((y1 * n0 - y0 * n1) / (n1 + n0) for y1, n1, y0, n0 in strata) / weights
    p_term = sum(
        (n1**2 * y0 - n0**2 * y1 + n1 * n0 * (n0 - n1) / 2) / (n1 + n0) ** 2
        for y1, n1, y0, n0 in strata
    )
    q_term = sum((y1 * (n0 - y0) + y0 * (n1 - y1)) / (2 * (n1 + n0)) for y1, n1, y0, n0 in strata)
    se = math.sqrt(difference * p_term + q_term) / weights
    p_value = math.erfc(abs(difference) / se / math.sqrt(2))
    return difference, difference - Z * se, difference + Z * se, p_value


def _unit_test(name: str) -> dict:
    tests = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/_marts__unit_tests.yml").read_text())
    return next(t for t in tests["unit_tests"] if t["name"] == name)


def test_one_stratum_mantel_haenszel_is_the_plain_difference_with_its_wald_interval():
    difference, low, high, _ = mantel_haenszel([(20, 100, 10, 100)])
    plain, plain_low, plain_high, _ = two_proportion(20, 100, 10, 100)
    assert (difference, low, high) == pytest.approx((plain, plain_low, plain_high))


def test_the_two_salon_mantel_haenszel_constants_are_computed_by_hand():
    rows = _unit_test("mantel_haenszel_pools_two_salons_by_stratum")["expect"]["rows"]
    by_scope = {(row["company_id"], row["arm"]): row for row in rows}
    pooled = by_scope[(None, "waterfall_ai")]
    difference, low, high, p_value = mantel_haenszel([(20, 100, 10, 100), (40, 60, 30, 50)])

    assert float(pooled["uplift_vs_holdout"]) == round(difference, 4)
    assert (float(pooled["uplift_ci_low"]), float(pooled["uplift_ci_high"])) == (
        round(low, 4),
        round(high, 4),
    )
    assert float(pooled["p_value"]) == round(p_value, 6)
    # Adding the salons together would have said something else: Simpson's trap.
    assert round(60 / 160 - 40 / 150, 4) != float(pooled["uplift_vs_holdout"])
    for company_id, counts in ((1, (20, 100, 10, 100)), (2, (40, 60, 30, 50))):
        salon = by_scope[(company_id, "waterfall_ai")]
        uplift, low, high, p_value = two_proportion(*counts)
        assert float(salon["uplift_vs_holdout"]) == round(uplift, 4)
        assert (float(salon["uplift_ci_low"]), float(salon["uplift_ci_high"])) == (
            round(low, 4),
            round(high, 4),
        )
        assert float(salon["p_value"]) == round(p_value, 6)


def test_the_holm_unit_test_constants_follow_from_the_counts():
    rows = _unit_test("holm_adjusts_the_three_comparisons_with_the_holdout")["expect"]["rows"]
    salon = {row["arm"]: row for row in rows if row["company_id"] == 1}
    pooled = {row["arm"]: row for row in rows if row["company_id"] is None}
    counts = {"control": 20, "waterfall_template": 25, "waterfall_ai": 12}
    raw = {arm: two_proportion(c, 100, 10, 100)[3] for arm, c in counts.items()}
    stratified = {arm: mantel_haenszel([(c, 100, 10, 100)])[3] for arm, c in counts.items()}

    for rows_, p_values in ((salon, raw), (pooled, stratified)):
        for arm, adjusted in holm(p_values).items():
            assert float(rows_[arm]["p_value"]) == round(p_values[arm], 6)
            assert float(rows_[arm]["p_value_holm"]) == round(adjusted, 6)
            assert rows_[arm]["beats_holdout"] is (adjusted < 0.05)

    # The waterfall's timing against the universal rule (control, 20/100): its own family.
    versus_rule = {
        arm: two_proportion(counts[arm], 100, 20, 100)[3]
        for arm in ("waterfall_template", "waterfall_ai")
    }
    for arm, adjusted in holm(versus_rule).items():
        assert float(salon[arm]["p_value_vs_rule"]) == round(versus_rule[arm], 6)
        assert float(salon[arm]["p_value_vs_rule_holm"]) == round(adjusted, 6)


def chi_square_upper_tail_df3(x: float) -> float:
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def test_the_planted_sample_ratio_imbalance_is_the_textbook_chi_square():
    rows = _unit_test("sample_ratio_check_flags_a_planted_imbalance")["expect"]["rows"]
    observed = {row["arm"]: row["n"] for row in rows if row["company_id"] == 1}
    expected = sum(observed.values()) / 4
    chi_square = sum((count - expected) ** 2 / expected for count in observed.values())

    assert chi_square == 18
    assert {float(row["srm_p_value"]) for row in rows} == {round(chi_square_upper_tail_df3(18), 6)}
    assert chi_square_upper_tail_df3(7.814728) == pytest.approx(0.05, abs=1e-6)  # table value
