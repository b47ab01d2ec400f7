"""Render simulated appointments as YClients record objects, as the API returned them then.

A record fetched before the visit shows the state at that time (confirmed or waiting, not yet
deleted); fetched afterwards it shows the outcome. Older cache rows come from an older API
shape: no `visit_attendance`, `visit_id` as a number, `deleted` left out when false.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from runner.synthetic.salon import Appointment, Salon, SalonService, SimClient

# A cancelled record is marked deleted this long before its slot.
CANCEL_LEAD = timedelta(hours=2)


def record_exists_at(appointment: Appointment, fetched_at: datetime) -> bool:
    return appointment.created_at <= fetched_at


def render_record(
    salon: Salon,
    appointment: Appointment,
    fetched_at: datetime,
    *,
    legacy_api: bool,
) -> dict:
    attendance, deleted, changed_at = state_at(appointment, fetched_at)
    length = sum(service.spec.duration_minutes for service in appointment.services) * 60 or 3600
    local_start = appointment.start_at.astimezone(salon.timezone)
    record: dict = {
        "id": appointment.record_id,
        "company_id": salon.company_id,
        "staff_id": appointment.staff.staff_id,
        "services": [_service(service, appointment.record_id) for service in appointment.services],
        "goods_transactions": [],
        "staff": {
            "id": appointment.staff.staff_id,
            "api_id": None,
            "name": appointment.staff.name,
            "specialization": appointment.staff.specialization,
            "position": {"id": 1, "title": "Мастер"},
            "avatar": "https://yclients.com/images/no-master-sm.png",
            "rating": 5,
            "votes_count": appointment.record_id % 40,
        },
        "client": _client(appointment.client) if appointment.client else None,
        "date": local_start.strftime("%Y-%m-%d %H:%M:%S"),
        "datetime": local_start.isoformat(),
        "create_date": _compact_offset(appointment.created_at.astimezone(salon.timezone)),
        "comment": appointment.comment,
        "online": appointment.is_bot,
        "attendance": attendance,
        "confirmed": 1,
        "seance_length": length,
        "length": length,
        "sms_before": 0,
        "sms_now": 0,
        "notified": 0,
        "master_request": 1 if appointment.client else 0,
        "api_id": "",
        "from_url": "",
        "review_requested": 0,
        "created_user_id": 1_073_232,
        "paid_full": 1 if attendance == 1 else 0,
        "prepaid": False,
        "last_change_date": _compact_offset(changed_at.astimezone(salon.timezone)),
        "record_labels": [],
        "custom_fields": {},
    }
    visit_id = 80_000_000 + appointment.record_id
    if legacy_api:
        record["visit_id"] = visit_id
        if deleted:
            record["deleted"] = True
    else:
        record["visit_attendance"] = attendance
        record["visit_id"] = str(visit_id)
        record["deleted"] = deleted
    return record


def render_phone(client: SimClient) -> str | int:
    digits = client.phone
    style = client.phone_style
    if style == "plus":
        return f"+{digits}"
    if style == "eight":
        return f"8{digits[1:]}"
    if style == "formatted":
        return f"+7 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
    if style == "ten":
        return digits[1:]
    if style == "number":
        return int(digits)
    return digits


def service_cost(service: SalonService, record_id: int) -> int:
    spread = service.spec.price_max - service.spec.price_min
    return service.spec.price_min + (record_id * 7919 % (spread // 100 + 1)) * 100


def state_at(appointment: Appointment, fetched_at: datetime) -> tuple[int, bool, datetime]:
    """(attendance, deleted, last change) as a fetch at `fetched_at` would have seen them."""
    booked_state = 2 if appointment.record_id % 3 else 0
    if appointment.deleted:
        cancelled_at = appointment.start_at - CANCEL_LEAD
        if fetched_at >= cancelled_at:
            return appointment.attendance, True, cancelled_at
        return booked_state, False, appointment.created_at
    if appointment.attendance in (1, -1):
        settled_at = appointment.start_at + timedelta(hours=1)
        if fetched_at >= settled_at:
            return appointment.attendance, False, settled_at
        return booked_state, False, appointment.created_at
    return appointment.attendance, False, appointment.created_at


def _service(service: SalonService, record_id: int) -> dict:
    cost = service_cost(service, record_id)
    return {
        "id": service.yclients_service_id,
        "title": service.spec.title,
        "cost": cost,
        "manual_cost": cost,
        "cost_per_unit": cost,
        "discount": 0,
        "first_cost": cost,
        "amount": 1,
    }


def _client(client: SimClient) -> dict:
    display = f"{client.first_name} {client.surname}".strip()
    return {
        "id": client.yclients_client_id,
        "name": client.first_name,
        "surname": client.surname,
        "patronymic": "",
        "display_name": display,
        "phone": render_phone(client),
        "email": "",
        "card": "",
        "success_visits_count": 0,
        "fail_visits_count": 0,
        "discount": 0,
        "is_new": False,
    }


def _compact_offset(moment: datetime) -> str:
    """YClients' create_date style: 2019-01-16T20:35:11+0900 (offset without a colon)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


BOOKINGS_KEPT_DAYS = 7  # the bot's bookings table keeps future bookings and the last week only


def kept_bot_bookings(salon: Salon, as_of: datetime) -> Iterator[Appointment]:
    """The salon's appointments the bot's bookings table still holds at `as_of`: made through
    the bot, with a client card, starting inside the kept week or later."""
    kept_from = as_of - timedelta(days=BOOKINGS_KEPT_DAYS)
    for appointment in salon.appointments:
        if appointment.is_bot and appointment.client and appointment.start_at >= kept_from:
            yield appointment
