"""Whether a salon may send right now, by its own clock: hours and days from the settings."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runner.config import SendWindow


@dataclass(frozen=True)
class WindowState:
    is_open: bool
    local_time: datetime
    seconds_until_close: float  # 0 when closed

    def describe(self) -> str:
        return self.local_time.strftime("%a %H:%M %Z").strip()


def salon_zone(timezone: str | None) -> ZoneInfo:
    """The salon's zone; an unknown name falls back to Moscow, YClients' own default."""
    try:
        return ZoneInfo(timezone or "Europe/Moscow")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def window_state(
    now: datetime, timezone: str | None, window: SendWindow, days: frozenset[int]
) -> WindowState:
    """Open when the salon's local day is a sending day and its local time is inside the window."""
    local = now.astimezone(salon_zone(timezone))
    minutes = local.hour * 60 + local.minute + local.second / 60
    start = window.start.hour * 60 + window.start.minute
    is_open = local.weekday() in days and start <= minutes < window.end_minutes
    if not is_open:
        return WindowState(False, local, 0.0)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    closes = midnight + timedelta(minutes=window.end_minutes)
    return WindowState(True, local, (closes - local).total_seconds())
