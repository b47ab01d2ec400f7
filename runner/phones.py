"""Phone numbers exactly as the bot normalizes them, and masked for logs."""

import re

_NON_DIGITS = re.compile(r"\D")


def normalize_phone(raw: object) -> str | None:
    """E.164 digits without '+', the bot's key format: '8 916 150-22-39' -> '79161502239'.

    Mirrors the bot's rule (strip non-digits; 11 digits starting with 8 -> 7...; 10 digits
    starting with 9 -> 7 + digits) so our Redis keys land on the bot's hashes. Returns None
    when nothing phone-like is left.
    """
    if raw is None or isinstance(raw, bool):
        return None
    digits = _NON_DIGITS.sub("", str(raw))
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    if not 10 <= len(digits) <= 15:
        return None
    return digits


def mask_phone(phone: str | None) -> str:
    """'79161502239' -> '7916***2239': enough for an operator to tell clients apart in a log."""
    if not phone:
        return "<no phone>"
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:4]}***{phone[-4:]}"
