"""Cleaning and validating a generated message before it may reach a client.

`check_message` returns the cleaned text, or the reason it must be replaced by a template. The
reasons are recorded in history (`fallback_reason`), so an analyst can see what the model gets
wrong. The rules follow the brief: nothing unsafe (no link, e-mail, @handle, phone number, markup
or control character: safety.py), Russian, ≤ 250 characters, at most 2 emoji, the client's own
first name (or none), an invitation to book, no invented offers, placeholders, preambles or quotes.
"""

import re
from dataclasses import dataclass

from runner.messages.facts import MessageFacts
from runner.messages.safety import unsafe_reason

MAX_CHARS = 250
MAX_EMOJI = 2
MIN_CYRILLIC_SHARE = 0.6

_WRAPPING_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“", "'": "'"}
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\U0001f1e6-\U0001f1ff]"
)
_PREAMBLE = re.compile(
    r"^\W*(конечно|разумеется|хорошо|отлично|вот\b|ок\b|окей|sure|here\b|certainly|okay|"
    r"сообщение\s*:|текст\s*:|вариант\s*:|message\s*:)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>|\$\{|%s|\bX{2,}\b|_{3,}|"
    r"имя клиента|название услуги|название салона|\b(name|client|service|salon)\b",
    re.IGNORECASE,
)
_OFFER = re.compile(
    r"скидк|акци[яиюй]|бесплатн|подар|промокод|бонус|процент|%|₽|\bруб|\d\s*р\.|"
    r"\bцен[аыуе]|стоимост|дешевле|выгодн",
    re.IGNORECASE,
)
_INVITATION = re.compile(
    r"запис|жд[её]м|приходите|заглян|приглаша|будем рады|свободн|окошк", re.IGNORECASE
)
_GREETINGS = frozenset(
    {
        "здравствуйте",
        "добрый",
        "доброе",
        "доброго",
        "привет",
        "приветствуем",
        "приветствую",
        "хорошего",
        "давно",
    }
)
# The name a message addresses: "Анна, …" / "Анна! …" or "Здравствуйте, Анна…".
_ADDRESSED_FIRST = re.compile(r"^([A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?)\s*[,!]")
_ADDRESSED_AFTER_GREETING = re.compile(
    r"^(?:здравствуйте|добрый день|добрый вечер|доброе утро|привет|приветствуем)\s*,\s*"
    r"([A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Checked:
    text: str | None  # the cleaned text when it passed
    reason: str | None  # why it must be replaced, when it did not

    @property
    def ok(self) -> bool:
        return self.reason is None


def clean_message(raw: str) -> str:
    """Whitespace collapsed, one pair of quotes around the whole text removed."""
    text = " ".join(raw.split())
    while len(text) >= 2 and _WRAPPING_QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def check_message(raw: str | None, facts: MessageFacts) -> Checked:
    if raw is None or not raw.strip():
        return Checked(None, "empty")
    text = clean_message(raw)
    reason = _first_problem(text, facts)
    return Checked(None, reason) if reason else Checked(text, None)


def _first_problem(text: str, facts: MessageFacts) -> str | None:
    if unsafe := unsafe_reason(text):
        return unsafe
    if _PREAMBLE.search(text):
        return "preamble"
    # A salon called "Beauty Salon" must not look like a leftover placeholder.
    without_salon = text.replace(facts.salon_name, "") if facts.salon_name else text
    if _PLACEHOLDER.search(without_salon):
        return "placeholder"
    if text[0] in "\"“„'" or text[-1] in "\"”'":
        return "quotes"
    if len(text) > MAX_CHARS:
        return "too_long"
    if len(_EMOJI.findall(text)) > MAX_EMOJI:
        return "too_many_emoji"
    if cyrillic_share(without_salon) < MIN_CYRILLIC_SHARE:
        return "not_russian"
    if _OFFER.search(text):
        return "invented_offer"
    return _name_problem(text, facts) or (None if _INVITATION.search(text) else "no_invitation")


def cyrillic_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum("а" <= ch.lower() <= "я" or ch.lower() == "ё" for ch in letters) / len(letters)


def _name_problem(text: str, facts: MessageFacts) -> str | None:
    addressed = _addressed_name(text)
    expected = facts.first_name
    if addressed and (expected is None or addressed.lower() != expected.lower()):
        return "wrong_name"
    if expected and not re.search(rf"(?<!\w){re.escape(expected)}(?!\w)", text, re.IGNORECASE):
        return "missing_name"
    return None


def _addressed_name(text: str) -> str | None:
    match = _ADDRESSED_AFTER_GREETING.match(text) or _ADDRESSED_FIRST.match(text)
    if not match:
        return None
    word = match.group(1)
    return None if word.lower() in _GREETINGS else word
