import re

import pytest
import yaml

from runner.phones import mask_phone, normalize_phone
from tests.support import PROJECT_ROOT

# The bot's key format; the SQL twin (reactivation.normalize_phone) runs the same table.
PHONE_CASES = [
    ("+79686484488", "79686484488"),
    ("79161502239", "79161502239"),
    ("89161502239", "79161502239"),
    ("9161502239", "79161502239"),
    ("+7 (916) 150-22-39", "79161502239"),
    (79161502239, "79161502239"),
    ("+375291234567", "375291234567"),
    ("", None),
    (None, None),
    ("n/a", None),
    ("12345", None),
    ("8916150223", "8916150223"),
    ("1234567890123456", None),
    (True, None),
]


@pytest.mark.parametrize(("raw", "expected"), PHONE_CASES)
def test_phones_normalize_like_the_bot(raw, expected):
    assert normalize_phone(raw) == expected


def test_masked_phone_keeps_only_the_edges():
    assert mask_phone("79161502239") == "7916***2239"
    assert mask_phone(None) == "<no phone>"


def test_the_dbt_rule_is_tested_on_the_same_table():
    """dbt's unit test of the SQL macro cannot import this module, so it holds the table as
    SQL: this keeps the two copies one table (same phones, same keys, nothing missing)."""
    path = PROJECT_ROOT / "dbt_project/models/staging/yclients/_yclients__unit_tests.yml"
    tests = yaml.safe_load(path.read_text(encoding="utf-8"))["unit_tests"]
    test = next(t for t in tests if t["name"] == "phones_normalize_like_the_bot")
    given = re.findall(r"\((\d+), ('[^']*'|null)\)", test["given"][0]["rows"])
    raw_by_id = {int(i): None if raw == "null" else raw[1:-1] for i, raw in given}
    dbt_cases = {(raw_by_id[row["client_id"]], row["phone"]) for row in test["expect"]["rows"]}
    text_cases = {(raw, key) for raw, key in PHONE_CASES if raw is None or isinstance(raw, str)}
    assert dbt_cases == text_cases
