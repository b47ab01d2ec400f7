"""Lay a salon's records out the way the bot's TTL cache holds them.

Each day's records sit in a date-keyed row and again in one row per master
(`<staff_id>_YYYY-MM-DD`), fetched at different times, so the same record appears twice and the
two copies can disagree (a morning fetch still says "confirmed"; the nightly one says "came").
Some values are the API envelope or a single object, some rows are empty or JSON null, some are
past `expires_at`, and a few records are malformed.
"""

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from runner.synthetic.records import record_exists_at, render_record, state_at
from runner.synthetic.salon import Appointment, Salon, local_day

STALE_DATE_ROW_RATE = 0.12
STALE_STAFF_ROW_RATE = 0.05
ENVELOPE_RATE = 0.04
SINGLE_OBJECT_RATE = 0.4
EXPIRED_ROW_RATE = 0.05
EMPTY_STAFF_ROW_RATE = 0.01
MALFORMED_RATE = 0.001
MISSING_BOT_RECORD_RATE = 0.1

MALFORMED_KINDS = (
    "missing_id",
    "non_numeric_id",
    "invalid_datetime",
    "services_not_array",
    "client_not_object",
    "not_an_object",
)


@dataclass(frozen=True)
class CacheRow:
    company_id: int
    cache_key: str
    appointments_json: str
    cached_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class MalformedRecord:
    company_id: int
    cache_key: str
    defect: str


@dataclass
class CacheLayout:
    rows: list[CacheRow]
    malformed: list[MalformedRecord]
    missing_record_ids: set[int]


def lay_out_cache(
    rng: random.Random,
    salon: Salon,
    as_of: datetime,
    legacy_api_before: datetime,
) -> CacheLayout:
    missing = _bot_records_missing_from_cache(rng, salon, as_of)
    by_day: dict[date, list[Appointment]] = defaultdict(list)
    for appointment in salon.appointments:
        if appointment.record_id not in missing:
            by_day[local_day(salon, appointment.start_at)].append(appointment)
    today = local_day(salon, as_of)
    renderer = _Renderer(salon)
    layout = CacheLayout(rows=[], malformed=[], missing_record_ids=missing)
    for day in sorted(by_day):
        appointments = by_day[day]
        legacy = _at_local(salon, day, time(12)) < legacy_api_before
        final_fetch, morning_fetch = _fetch_times(rng, salon, day, today, as_of)
        expires_at = _expiry(rng, day, today, as_of)
        date_fetch = (
            morning_fetch if day < today and rng.random() < STALE_DATE_ROW_RATE else (final_fetch)
        )
        date_records = renderer.render(appointments, date_fetch, legacy)
        elements = list(date_records)
        for _ in range(_malformed_count(rng, len(appointments))):
            defect = rng.choice(MALFORMED_KINDS)
            elements.append(json.dumps(malformed_record(defect, salon, day), ensure_ascii=False))
            layout.malformed.append(MalformedRecord(salon.company_id, day.isoformat(), defect))
        layout.rows.append(
            CacheRow(
                salon.company_id,
                day.isoformat(),
                _wrap(rng, elements, envelope=True),
                date_fetch,
                expires_at,
            )
        )
        by_staff: dict[int, list[Appointment]] = defaultdict(list)
        for appointment in appointments:
            by_staff[appointment.staff.staff_id].append(appointment)
        for staff in salon.staff:
            staff_appointments = by_staff.get(staff.staff_id)
            if not staff_appointments and rng.random() >= EMPTY_STAFF_ROW_RATE:
                continue
            staff_fetch = final_fetch + timedelta(minutes=rng.uniform(1, 120))
            staff_fetch = min(staff_fetch, as_of)
            if day < today and date_fetch == final_fetch and rng.random() < STALE_STAFF_ROW_RATE:
                staff_fetch = morning_fetch
            records = renderer.render(staff_appointments or [], staff_fetch, legacy)
            body = _wrap(rng, records, envelope=False)
            if not staff_appointments and rng.random() < 0.3:
                body = "null"
            layout.rows.append(
                CacheRow(
                    salon.company_id,
                    f"{staff.staff_id}_{day.isoformat()}",
                    body,
                    staff_fetch,
                    expires_at,
                )
            )
    return layout


class _Renderer:
    """Renders each (record, state) once; both cache rows usually share the same JSON text."""

    def __init__(self, salon: Salon) -> None:
        self._salon = salon
        self._texts: dict[tuple, str] = {}

    def render(
        self,
        appointments: list[Appointment],
        fetched_at: datetime,
        legacy: bool,
    ) -> list[str]:
        texts = []
        for appointment in appointments:
            if not record_exists_at(appointment, fetched_at):
                continue
            key = (appointment.record_id, state_at(appointment, fetched_at), legacy)
            text = self._texts.get(key)
            if text is None:
                record = render_record(self._salon, appointment, fetched_at, legacy_api=legacy)
                text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
                self._texts[key] = text
            texts.append(text)
        return texts


def _bot_records_missing_from_cache(rng: random.Random, salon: Salon, as_of: datetime) -> set[int]:
    """Completed bot bookings whose cache rows the bot already cleaned up."""
    recent = as_of - timedelta(days=7)
    return {
        appointment.record_id
        for appointment in salon.appointments
        if appointment.is_bot
        and appointment.is_true_visit
        and appointment.start_at >= recent
        and rng.random() < MISSING_BOT_RECORD_RATE
    }


def _fetch_times(
    rng: random.Random,
    salon: Salon,
    day: date,
    today: date,
    as_of: datetime,
) -> tuple[datetime, datetime]:
    """(the nightly fetch after the day, a morning fetch on the day) in UTC, never after as_of."""
    morning = _at_local(salon, day, time(7, rng.randrange(60)))
    if day < today:
        nightly = _at_local(salon, day + timedelta(days=1), time(4, rng.randrange(60)))
        return min(nightly, as_of), min(morning, as_of)
    recent = as_of - timedelta(hours=rng.uniform(0.5, 6))
    return recent, recent


def _expiry(rng: random.Random, day: date, today: date, as_of: datetime) -> datetime:
    if day < today and rng.random() < EXPIRED_ROW_RATE:
        return as_of - timedelta(hours=rng.uniform(1, 72))  # expired, not yet cleaned up
    return as_of + timedelta(days=rng.uniform(1, 30))


def _malformed_count(rng: random.Random, records: int) -> int:
    return sum(1 for _ in range(records) if rng.random() < MALFORMED_RATE)


def malformed_record(defect: str, salon: Salon, day: date) -> object:
    base = {
        "id": 399_000_000 + salon.index,
        "company_id": salon.company_id,
        "datetime": f"{day.isoformat()}T12:00:00+03:00",
        "attendance": 1,
        "services": [],
        "client": None,
    }
    if defect == "missing_id":
        del base["id"]
    elif defect == "non_numeric_id":
        base["id"] = "abc-" + day.isoformat()
    elif defect == "invalid_datetime":
        base["datetime"] = f"{day.isoformat()} 25:61"
    elif defect == "services_not_array":
        base["services"] = {"id": 1, "title": "Стрижка"}
    elif defect == "client_not_object":
        base["client"] = "Иванова Мария"
    else:
        return "record unavailable"
    return base


def _wrap(rng: random.Random, elements: list[str], *, envelope: bool) -> str:
    """An array normally; sometimes the API envelope, or a bare object for a single record."""
    array = "[" + ",".join(elements) + "]"
    if envelope and rng.random() < ENVELOPE_RATE:
        return f'{{"success":true,"data":{array},"meta":{{"count":{len(elements)}}}}}'
    if not envelope and len(elements) == 1 and rng.random() < SINGLE_OBJECT_RATE:
        return elements[0]
    return array


def _at_local(salon: Salon, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, salon.timezone).astimezone(UTC)
