"""Phone numbers: as an operator types them, as the bot keys them, and masked for logs."""

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from runner.errors import ConfigurationError

_NON_DIGITS = re.compile(r"\D")
# A phone written inside free text (a gateway's error, an exception): 10-15 digits, maybe with
# a leading + and spaces, dashes, dots or brackets between them.
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,2}\d){9,14}(?!\w)")


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


def mask_phones_in(text: str) -> str:
    """Every phone number inside `text` masked like mask_phone: for text we did not write (a
    gateway's or Gemini's error, an exception) before it is printed or stored."""
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(_NON_DIGITS.sub("", match[0])), text)


_REGION = "RU"  # numbers written without a country code are Russian, as the salons' clients
_WHY_NOT = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "the wrong length",
    ValidationResult.INVALID_COUNTRY_CODE: "an unknown country code",
}


def parse_operator_phone(raw: str, option: str = "--phone") -> str:
    """A phone an operator typed, parsed by libphonenumber, as the bot's key ('79161502239').

    '+7 (916) 150-22-39', '8 916 150 22 39' and '9161502239' are one number. An extension, a
    number that cannot exist, or a foreign number written without its '+' is refused with what
    was understood: storing a wrong key would silently fail to match the client.
    """
    try:
        number = phonenumbers.parse(raw, _REGION)
    except NumberParseException as error:
        raise ConfigurationError(f"{option} {raw!r} is not a phone number ({error})") from None
    understood = f"+{number.country_code} {number.national_number}"
    if number.extension:
        raise ConfigurationError(
            f"{option} {raw!r} has an extension ({number.extension}); understood {understood} "
            f"ext. {number.extension}: give the number alone, e.g. {understood}"
        )
    if not phonenumbers.is_valid_number(number):
        why = phonenumbers.is_possible_number_with_reason(number)
        reason = _WHY_NOT.get(why, "not a number in use")
        raise ConfigurationError(
            f"{option} {raw!r}: understood {understood}, {reason} for a number with country "
            f"code +{number.country_code}. Write a foreign number with its '+' and country code"
        )
    key = normalize_phone(f"{number.country_code}{number.national_number}")
    if key is None:
        raise ConfigurationError(f"{option} {raw!r}: understood {understood}, not a phone key")
    return key
