import pytest

from runner.phones import mask_phone, normalize_phone

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
