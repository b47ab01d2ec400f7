"""What a message may say about a client, reduced to words safe to put in a sentence."""

import functools
import re
from dataclasses import dataclass

from runner.messages.safety import safe_fragment

_NOT_A_NAME = frozenset(
    {"клиент", "клиентка", "гость", "тест", "test", "client", "нет", "имя", "без", "мастер", "vip"}
    | {"ооо", "ип", "постоянный", "новый", "мама", "папа", "муж", "жена"}
)
_NAME_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+(?:-[A-Za-zА-Яа-яЁё]+)?")
_MAX_SERVICE_CHARS = 60


@dataclass(frozen=True)
class MessageFacts:
    """Everything a message about one client may mention, already cleaned."""

    first_name: str | None
    service_title: str | None
    days_since_last_visit: int
    salon_name: str | None


def first_name(client_name: str | None) -> str | None:
    """The client's first name when the card's name is confidently one, else None.

    'Анна' -> 'Анна'; 'ПЕТРОВА АННА' -> 'Анна'; 'Иванова', 'Dr. Smith', 'Клиент' -> None. A
    wrong name is worse than none ("Васильев, здравствуйте!"), so anything doubtful gives None.
    """
    if not client_name:
        return None
    tokens = client_name.split()
    if not tokens or not all(_NAME_WORD.fullmatch(token) for token in tokens[:3]):
        return None
    words = [token for token in tokens[:3] if token.lower() not in _NOT_A_NAME]
    # An admin's note ("мама Кати") is lowercase; a name is written with a capital.
    if not words or len(words) < len(tokens[:3]) or not all(w[0].isupper() for w in words):
        return None
    # The word order varies ("Петрова Анна", "Анна Петрова"): take the word a dictionary knows
    # as a first name, whichever place it has.
    chosen = next((word for word in words if _is_first_name(word)), None)
    if chosen is None or not 2 <= len(chosen) <= 20:
        return None
    return "-".join(part.capitalize() for part in chosen.split("-"))


def _is_first_name(word: str) -> bool:
    """OpenCorpora's dictionary (pymorphy3) knows the word as a first name in the nominative
    and never as a surname: 'Вера' passes (a word too, and a name), 'Ким' does not (a surname
    too). Latin words are not in it, so they are never confidently a name."""
    parses = _morphology().parse(word)
    is_name = any({"Name", "nomn", "sing"} <= p.tag.grammemes for p in parses)
    return is_name and not any("Surn" in p.tag for p in parses)


@functools.cache
def _morphology():
    import pymorphy3  # its dictionaries load in about 0.05 s: on the first name, not at import

    return pymorphy3.MorphAnalyzer()


def service_title(title: str | None) -> str | None:
    """A service title fit for «…»: plain words only (safety.safe_fragment), trimmed, shouting
    turned to sentence case, not too long."""
    plain = safe_fragment(title)
    if not plain:
        return None
    cleaned = plain.strip(" .,;:«»\"'")
    if not cleaned:
        return None
    if cleaned.isupper():
        cleaned = cleaned.capitalize()
    if len(cleaned) > _MAX_SERVICE_CHARS:
        cleaned = cleaned[: _MAX_SERVICE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return cleaned


def message_facts(
    client_name: str | None,
    last_service_title: str | None,
    days_since_last_visit: int,
    salon_name: str | None,
) -> MessageFacts:
    salon = safe_fragment(salon_name)
    return MessageFacts(
        first_name=first_name(client_name),
        service_title=service_title(last_service_title),
        days_since_last_visit=days_since_last_visit,
        salon_name=salon if salon and len(salon) <= 40 else None,
    )


def plural(number: int, one: str, few: str, many: str) -> str:
    """Russian plural: 1 день, 2 дня, 5 дней, 11 дней, 21 день."""
    tens, units = number % 100, number % 10
    if 11 <= tens <= 14:
        return many
    if units == 1:
        return one
    if 2 <= units <= 4:
        return few
    return many
