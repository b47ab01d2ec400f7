"""Template messages by the arm's message kind (experiment_arms.message_kind): the plain text,
the service-aware text, and the fallback whenever a model's text fails validation. Each reads
naturally with or without a name, a service or a salon name, and passes the same validation as
a model's text."""

from dataclasses import replace

from runner.messages.facts import MessageFacts, plural
from runner.messages.validation import check_message

_INVITATION = "Записать вас на удобное время?"


PLAIN = "plain_template"


def render_template(message_kind: str, facts: MessageFacts) -> str:
    """The template text for this message kind: 'plain_template' gets the plain text, every
    other kind the service-aware one ('ai' too: its fallback when the model's text is missing
    or fails validation), which is plain too when no service is known. The facts were cleaned
    already; should a text still carry what validation rejects, the client gets the plain text
    without the title and the salon's name instead (a first name is letters only, see
    facts.first_name)."""
    text = (
        _plain(facts)
        if message_kind == PLAIN or facts.service_title is None
        else _service_aware(facts)
    )
    if not check_message(text, facts).ok:
        return _plain(replace(facts, service_title=None, salon_name=None))
    return text


def _greeting(facts: MessageFacts) -> str:
    return f"{facts.first_name}, здравствуйте!" if facts.first_name else "Здравствуйте!"


def _plain(facts: MessageFacts) -> str:
    # "Это <салон>." reads right with any name; "в <салон>" would need it declined.
    who = f" Это {quoted(facts.salon_name)}." if facts.salon_name else ""
    return f"{_greeting(facts)}{who} Давно вас не видели — будем рады видеть снова. {_INVITATION}"


def _service_aware(facts: MessageFacts) -> str:
    return (
        f"{_greeting(facts)} С прошлого визита на услугу «{facts.service_title}» прошло "
        f"{elapsed(facts.days_since_last_visit)} — кажется, самое время повторить. {_INVITATION}"
    )


def quoted(name: str) -> str:
    """«Лиса», but not «Салон «Лиса»»: a name that carries its own quotes keeps them."""
    return name if any(mark in name for mark in '«"') else f"«{name}»"


def elapsed(days: int) -> str:
    """'12 дней', 'уже 6 недель', 'уже 3 месяца': as a person would say it."""
    if days < 14:
        return f"{days} {plural(days, 'день', 'дня', 'дней')}"
    if days < 60:
        weeks = days // 7
        return f"уже {weeks} {plural(weeks, 'неделя', 'недели', 'недель')}"
    months = days // 30
    return f"уже {months} {plural(months, 'месяц', 'месяца', 'месяцев')}"
