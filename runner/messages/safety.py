"""What must never reach a client, whoever wrote the text: a link, an e-mail address, an @handle,
a phone number, markup or a control character.

Names and titles come from the salon's CRM and anyone can type into them; a model's answer can
be steered by them. So the same rules are applied three times: to each fragment before it enters
a template or a prompt (`safe_fragment`), to a model's answer (`unsafe_reason`, through
validation), and to every template text before it is sent.
"""

import re
import unicodedata

# Ordered: the first match names the reason recorded in history.
_UNSAFE = (
    ("link", re.compile(r"(?i)\b(?:https?|ftp)://|\bwww\.|\bt\.me/|\bwa\.me/")),
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    (
        "link",
        # A bare domain: latin.words (beauty.ru, evil.example) or кириллица.рф.
        re.compile(r"(?i)\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b|\b[\w-]+\.рф\b"),
    ),
    ("handle", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,}")),
    ("phone", re.compile(r"(?<!\w)\+?\d(?:[\s().-]{0,2}\d){6,}(?!\w)")),
    (
        "markup",
        re.compile(r"<[^>]*>|\*\*|__|~~|`|\[[^\]]*\]\([^)]*\)|^\s*#|&[a-z]+;|&#\d+;", re.M),
    ),
)
# Words that address the model rather than describe a service or a salon.
_INSTRUCTION = re.compile(
    r"(?i)игнорир|инструкц|промпт|системн\w* (?:сообщ|указан)|\b(?:на)?пиши\b|ссылк|"
    r"\bправила\b|ignore|instruction|prompt|system|assistant|disregard"
)
_TAG = re.compile(r"<[^>]*>|&[a-z]+;|&#\d+;")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKUP_CHARACTERS = re.compile(r"[<>\[\]{}*_`#|\\^~]")


def unsafe_reason(text: str) -> str | None:
    """Why `text` must not reach a client ('link', 'email', 'handle', 'phone', 'markup',
    'control_character'), or None."""
    if any(_is_control(character) for character in text):
        return "control_character"
    for reason, pattern in _UNSAFE:
        if pattern.search(text):
            return reason
    return None


def safe_fragment(text: str | None) -> str | None:
    """A name or title from the CRM reduced to plain words, or None when what is left would
    still be unsafe or reads as an instruction: then the message is written without it."""
    if not text:
        return None
    visible = "".join(" " if _is_control(character) else character for character in text)
    unmarked = _MARKUP_CHARACTERS.sub(" ", _MARKDOWN_LINK.sub(r"\1", _TAG.sub(" ", visible)))
    plain = " ".join(unmarked.split())
    if not plain or unsafe_reason(plain) or _INSTRUCTION.search(plain):
        return None
    if not any(character.isalpha() for character in plain):
        return None  # emoji or punctuation only: nothing a sentence could name
    return plain


def _is_control(character: str) -> bool:
    # Cc: control characters (newlines included: a fragment is one line); Cf: invisible
    # formatting such as zero-width spaces and bidirectional overrides. The zero-width joiner
    # alone is allowed: it glues emoji such as 💇‍♀️ together.
    return unicodedata.category(character) in ("Cc", "Cf") and character != "\u200d"
