"""Interval accuracy against the generator's ground truth, next to the earlier plan's rule and
the ideal (Bayesian) estimator that knows the generator's noise parameters."""

import math
import statistics
from dataclasses import dataclass

# One row per client with an interval, its truth, and the gaps the pipeline saw for the
# client's favourite service (the service the truth is about).
CLIENTS = """
select i.interval_tier, i.interval_days, i.days_since_last_visit,
    r.true_interval_days::float, r.prior_log_mean, r.prior_log_sd, r.gap_log_sd,
    r.skip_probability, m.industry_interval_days, g.gap_days
from analytics.client_intervals i
join synthetic.client_rhythms r
    on r.company_id = i.company_id and r.yclients_client_id = i.client_id
join analytics.int_services_industry_matched m
    on m.company_id = i.company_id and m.service_id = i.last_service_id
left join analytics.int_client_service_gaps_measured g
    on g.company_id = i.company_id and g.client_id = i.client_id
    and g.service_id = i.last_service_id
where i.last_service_id = r.favourite_yclients_service_id
    and i.client_id %% %(every)s = 0
"""

GRID = [math.log(7) + step * (math.log(400) - math.log(7)) / 400 for step in range(401)]


@dataclass
class AccuracyReport:
    personal_clients: int
    personal_within_5: float
    ceiling_within_5: float
    clients: int
    median_error: float
    earlier_rule_median_error: float
    ceiling_median_error: float

    def lines(self) -> list[str]:
        return [
            f"personal tier: {self.personal_clients} clients, within ±5 days of the true rhythm:"
            f" ours {self.personal_within_5:.1%}, ideal estimator {self.ceiling_within_5:.1%}",
            f"all {self.clients} clients, median absolute error: ours {self.median_error:.1f} d,"
            f" earlier rule {self.earlier_rule_median_error:.1f} d"
            f" (ratio {self.median_error / self.earlier_rule_median_error:.2f}),"
            f" ideal {self.ceiling_median_error:.1f} d"
            f" (ratio {self.ceiling_median_error / self.earlier_rule_median_error:.2f})",
        ]


def earlier_rule(industry_days: int | None, days_since_last_visit: int) -> int:
    """The earlier plan: the industry table, else 30/60/90 days by how long the client lapsed."""
    if industry_days:
        return industry_days
    if days_since_last_visit < 60:
        return 30
    return 60 if days_since_last_visit < 90 else 90


def ideal_estimate(gaps, prior_mean, prior_sd, gap_sd, skip_probability) -> float:
    """Posterior median of the rhythm on a grid, knowing how the generator drew the gaps:
    log-normal around the rhythm, or (a skipped visit) the sum of two such gaps."""
    log_gaps = [math.log(gap) for gap in gaps or [] if gap > 0]
    posterior = []
    for log_rhythm in GRID:
        log_p = -0.5 * ((log_rhythm - prior_mean) / prior_sd) ** 2
        for log_gap in log_gaps:
            single = _normal(log_gap, log_rhythm, gap_sd)
            # Sum of two log-normal gaps ~ log-normal around 2r with a narrower spread.
            double = _normal(log_gap, log_rhythm + math.log(2), gap_sd / math.sqrt(2))
            log_p += math.log((1 - skip_probability) * single + skip_probability * double + 1e-300)
        posterior.append(log_p)
    peak = max(posterior)
    weights = [math.exp(value - peak) for value in posterior]
    half, running = sum(weights) / 2, 0.0
    for log_rhythm, weight in zip(GRID, weights, strict=True):
        running += weight
        if running >= half:
            return math.exp(log_rhythm)
    return math.exp(GRID[-1])


def _normal(x, mean, sd):
    return math.exp(-0.5 * ((x - mean) / sd) ** 2) / sd


def measure(conn, every: int = 1) -> AccuracyReport:
    """Every `every`-th client (by id): the ideal estimator is slow in pure Python."""
    rows = conn.execute(CLIENTS, {"every": every}).fetchall()
    ours, earlier, ideal = [], [], []
    personal_ours, personal_ideal = [], []
    for tier, days, lapse, truth, mean, prior_sd, gap_sd, skip, industry, gaps in rows:
        ideal_days = round(ideal_estimate(gaps, mean, prior_sd, gap_sd, skip))
        ours.append(abs(days - truth))
        earlier.append(abs(earlier_rule(industry, lapse) - truth))
        ideal.append(abs(ideal_days - truth))
        if tier == "personal":
            personal_ours.append(abs(days - truth) <= 5)
            personal_ideal.append(abs(ideal_days - truth) <= 5)
    return AccuracyReport(
        personal_clients=len(personal_ours),
        personal_within_5=sum(personal_ours) / len(personal_ours),
        ceiling_within_5=sum(personal_ideal) / len(personal_ideal),
        clients=len(rows),
        median_error=statistics.median(ours),
        earlier_rule_median_error=statistics.median(earlier),
        ceiling_median_error=statistics.median(ideal),
    )
