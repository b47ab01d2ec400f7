"""Simulate one salon's clients and appointments over the history window.

Every client gets a true personal rhythm for their favourite service and visits around it with
log-normal noise and the occasional skipped visit; churned clients stop, new clients come once.
Around the real visits the salon produces the usual noise: no-shows, cancelled (deleted)
records, walk-ins without a client card, multi-service records, future bookings. The generator
parameters behind each client are kept, so benchmarks can compute the best possible estimate.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from runner.synthetic import catalogue

# Segment -> (share of clients, rhythm multiplier on the service rhythm, prior log-sd of the
# personal rhythm around it, log-sd of one gap around the personal rhythm, skip probability).
SEGMENTS = {
    "loyal": (0.40, 1.0, 0.25, 0.12, 0.05),
    "occasional": (0.25, 1.8, 0.30, 0.22, 0.10),
    "churned": (0.20, 1.2, 0.30, 0.15, 0.07),
    "new": (0.15, 1.0, 0.25, 0.12, 0.05),
}
NO_SHOW_RATE = 0.035
CANCEL_RATE = 0.03
STALE_WAITING_RATE = 0.005
WALK_IN_RATE = 0.01
MULTI_SERVICE_RATE = 0.10
NO_SERVICE_RATE = 0.01
BOT_BOOKING_RATE = 0.15
FUTURE_BOOKING_RATE = 0.35
FUTURE_HORIZON_DAYS = 30
UNUSABLE_NAME_RATE = 0.04
NEVER_VISITED_CLIENT_RATE = 0.03


@dataclass
class Staff:
    staff_id: int
    name: str
    specialization: str


@dataclass
class SalonService:
    service_id: int  # public.services.id
    yclients_service_id: int
    spec: catalogue.ServiceSpec
    typical_days: float
    repeat_visit_days_step: int | None


@dataclass
class SimClient:
    client_id: int  # public.clients.id
    yclients_client_id: int
    phone: str  # normalized digits
    phone_style: str
    first_name: str
    surname: str
    gender: str
    segment: str
    favourite: SalonService
    favourite_staff: Staff
    true_interval_days: float
    prior_log_mean: float
    prior_log_sd: float
    gap_log_sd: float
    skip_probability: float
    churned_at: datetime | None = None
    is_deleted: bool = False
    blacklisted: bool = False


@dataclass
class Appointment:
    """One YClients record as it finally stands (attendance after the fact)."""

    client: SimClient | None
    staff: Staff
    services: list[SalonService]
    start_at: datetime  # UTC
    created_at: datetime  # UTC
    attendance: int
    deleted: bool
    is_bot: bool
    is_true_visit: bool
    record_id: int = 0
    comment: str = ""


@dataclass
class Salon:
    index: int
    company_id: int
    name: str
    kind: str
    timezone: ZoneInfo
    staff: list[Staff]
    services: list[SalonService]
    clients: list[SimClient] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)


def simulate_salon(
    rng: random.Random,
    index: int,
    clients_per_company: int,
    history_start: datetime,
    as_of: datetime,
) -> Salon:
    salon = _open_salon(rng, index)
    today_local = as_of.astimezone(salon.timezone).date()
    future_from = datetime.combine(today_local, datetime.min.time(), salon.timezone)
    for number in range(clients_per_company):
        client = _new_client(rng, salon, number)
        salon.clients.append(client)
        _book_client_history(rng, salon, client, history_start, as_of, future_from)
    _add_walk_ins(rng, salon, history_start, future_from)
    salon.appointments.sort(key=lambda appointment: (appointment.created_at, appointment.start_at))
    first_record_id = 400_000_000 + index * 2_000_000
    for offset, appointment in enumerate(salon.appointments):
        appointment.record_id = first_record_id + offset
    return salon


def local_day(salon: Salon, moment: datetime) -> date:
    return moment.astimezone(salon.timezone).date()


def _open_salon(rng: random.Random, index: int) -> Salon:
    # The first salons cover every kind, so even a three-salon demo shows the whole catalogue.
    kinds = [kind for kind, _ in catalogue.SALON_KINDS]
    kind = kinds[index] if index < len(kinds) else _weighted(rng, catalogue.SALON_KINDS)
    timezone = ZoneInfo(_weighted(rng, catalogue.TIMEZONES))
    company_id = 900_001 + index
    names = catalogue.SALON_NAMES[kind]
    name = names[index % len(names)]
    if index >= len(names):
        name = f"{name} №{index + 1}"
    specializations = catalogue.STAFF_SPECIALIZATIONS[kind]
    staff = [
        Staff(
            staff_id=1_000_000 + index * 100 + number,
            name=rng.choice(
                catalogue.FEMALE_NAMES if kind != "barbershop" else catalogue.MALE_NAMES
            ),
            specialization=rng.choice(specializations),
        )
        for number in range(rng.randint(3, 7))
    ]
    # Every other salon has the bot syncing YClients' own repeat-visit setting.
    salon_sets_repeat_steps = index % 2 == 1
    services = []
    for number, spec in enumerate(s for s in catalogue.SERVICES if kind in s.kinds):
        typical = spec.typical_days * rng.uniform(0.9, 1.1)
        step = None
        if salon_sets_repeat_steps and rng.random() < 0.5:
            step = max(7, round(typical / 7) * 7)
        services.append(
            SalonService(
                service_id=index * 100 + number + 1,
                yclients_service_id=10_000_000 + index * 1_000 + number * 7 + 3,
                spec=spec,
                typical_days=typical,
                repeat_visit_days_step=step,
            )
        )
    return Salon(index, company_id, name, kind, timezone, staff, services)


def _new_client(rng: random.Random, salon: Salon, number: int) -> SimClient:
    gender = "female" if rng.random() < catalogue.FEMALE_SHARE[salon.kind] else "male"
    offered = [s for s in salon.services if s.spec.audience in (gender, "any")] or salon.services
    favourite = rng.choices(offered, weights=[s.spec.popularity for s in offered])[0]
    segment = _weighted(rng, [(name, params[0]) for name, params in SEGMENTS.items()])
    _, multiplier, prior_sd, gap_sd, skip = SEGMENTS[segment]
    prior_mean = math.log(favourite.typical_days * multiplier)
    rhythm = min(180.0, max(7.0, math.exp(rng.gauss(prior_mean, prior_sd))))
    names = catalogue.FEMALE_NAMES if gender == "female" else catalogue.MALE_NAMES
    first_name = rng.choice(names)
    if rng.random() < UNUSABLE_NAME_RATE:
        first_name = rng.choice(catalogue.UNUSABLE_NAMES)
    surname = rng.choice(catalogue.SURNAMES) + ("а" if gender == "female" else "")
    return SimClient(
        client_id=salon.index * 1_000_000 + number + 1,
        yclients_client_id=50_000_000 + salon.index * 1_000_000 + number * 3 + 1,
        phone=f"79{salon.index % 100:02d}{number:07d}",
        phone_style=_weighted(rng, PHONE_STYLES),
        first_name=first_name,
        surname=surname if rng.random() < 0.6 else "",
        gender=gender,
        segment=segment,
        favourite=favourite,
        favourite_staff=rng.choice(salon.staff),
        true_interval_days=round(rhythm, 2),
        prior_log_mean=prior_mean,
        prior_log_sd=prior_sd,
        gap_log_sd=gap_sd,
        skip_probability=skip,
        is_deleted=rng.random() < 0.01,
        blacklisted=rng.random() < 0.01,
    )


PHONE_STYLES = (
    ("plus", 0.45),
    ("eight", 0.2),
    ("seven", 0.2),
    ("formatted", 0.05),
    ("ten", 0.05),
    ("number", 0.05),
)


def _book_client_history(
    rng: random.Random,
    salon: Salon,
    client: SimClient,
    history_start: datetime,
    as_of: datetime,
    future_from: datetime,
) -> None:
    if rng.random() < NEVER_VISITED_CLIENT_RATE:
        return  # registered through the bot, never came: a clients row with no records
    rhythm = timedelta(days=client.true_interval_days)
    if client.segment == "new":
        _book_visit(rng, salon, client, as_of - timedelta(days=rng.uniform(2, 90)), future_from)
        return
    span = as_of - history_start
    if rng.random() < 0.55:
        moment = history_start - rhythm * rng.random()  # already a client when history starts
    else:
        moment = history_start + span * rng.uniform(0, 0.8)
    end = as_of + timedelta(days=FUTURE_HORIZON_DAYS)
    if client.segment == "churned":
        earliest = max(moment, history_start) + rhythm * 2
        client.churned_at = min(as_of - rhythm * 1.5, earliest + (as_of - earliest) * rng.random())
        end = client.churned_at
    while moment < end:
        if moment >= history_start:
            if moment >= future_from:
                if rng.random() < FUTURE_BOOKING_RATE:
                    _book_visit(rng, salon, client, moment, future_from)
                return
            _book_visit(rng, salon, client, moment, future_from)
        gap = client.true_interval_days * math.exp(rng.gauss(0, client.gap_log_sd))
        if rng.random() < client.skip_probability:  # a missed visit: the next gap is doubled
            gap += client.true_interval_days * math.exp(rng.gauss(0, client.gap_log_sd))
        moment += timedelta(days=gap)


def _book_visit(
    rng: random.Random,
    salon: Salon,
    client: SimClient,
    moment: datetime,
    future_from: datetime,
) -> None:
    start = _opening_hours_slot(rng, salon, moment)
    staff = client.favourite_staff if rng.random() < 0.8 else rng.choice(salon.staff)
    services = [client.favourite]
    roll = rng.random()
    if roll < NO_SERVICE_RATE:
        services = []
    elif roll < NO_SERVICE_RATE + MULTI_SERVICE_RATE:
        add_on_titles = catalogue.ADD_ONS.get(client.gender, ())
        add_ons = [
            s for s in salon.services if s.spec.title in add_on_titles and s is not client.favourite
        ]
        if add_ons:
            services.append(rng.choice(add_ons))
    is_future = start >= future_from
    is_bot = rng.random() < BOT_BOOKING_RATE
    created = start - timedelta(hours=rng.uniform(2, 24 * 14))
    if is_future:
        attendance = 2 if rng.random() < 0.6 else 0
        created = min(created, future_from - timedelta(hours=rng.uniform(1, 48)))
    else:
        attendance = 1
    salon.appointments.append(
        Appointment(
            client,
            staff,
            services,
            start,
            created,
            attendance,
            deleted=False,
            is_bot=is_bot,
            is_true_visit=not is_future,
            comment=catalogue.BOT_COMMENT if is_bot else rng.choice(catalogue.ADMIN_COMMENTS),
        )
    )
    if is_future:
        return
    roll = rng.random()
    if roll < NO_SHOW_RATE + CANCEL_RATE + STALE_WAITING_RATE:
        # A record before the real visit that did not turn into one.
        earlier = _opening_hours_slot(rng, salon, start - timedelta(days=rng.uniform(1, 6)))
        if roll < NO_SHOW_RATE:
            attendance, deleted = -1, False
        elif roll < NO_SHOW_RATE + CANCEL_RATE:
            attendance, deleted = 0, True
        else:
            attendance, deleted = 0, False
        salon.appointments.append(
            Appointment(
                client,
                staff,
                list(services),
                earlier,
                earlier - timedelta(days=rng.uniform(1, 10)),
                attendance,
                deleted=deleted,
                is_bot=False,
                is_true_visit=False,
            )
        )


def _add_walk_ins(
    rng: random.Random,
    salon: Salon,
    history_start: datetime,
    future_from: datetime,
) -> None:
    """Walk-ins the admin never attached to a client card: `client: null` records."""
    visits = sum(1 for appointment in salon.appointments if appointment.is_true_visit)
    for _ in range(max(1, int(visits * WALK_IN_RATE))):
        start = _opening_hours_slot(
            rng, salon, history_start + (future_from - history_start) * rng.random()
        )
        if start >= future_from:
            continue
        salon.appointments.append(
            Appointment(
                None,
                rng.choice(salon.staff),
                [rng.choice(salon.services)],
                start,
                start - timedelta(minutes=rng.uniform(5, 90)),
                1,
                deleted=False,
                is_bot=False,
                is_true_visit=False,
            )
        )


def _opening_hours_slot(rng: random.Random, salon: Salon, moment: datetime) -> datetime:
    """The same local day, at a half-hour slot between 10:00 and 20:00 in the salon's zone."""
    day = moment.astimezone(salon.timezone).date()
    minutes = 600 + 30 * rng.randrange(20)
    local = datetime.combine(day, datetime.min.time(), salon.timezone) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _weighted(rng: random.Random, options) -> str:
    names = [name for name, _ in options]
    return rng.choices(names, weights=[weight for _, weight in options])[0]
