"""Claims are decided by Postgres: one winner under any race, cooldown and live guards."""

import threading
from datetime import timedelta

import pytest

from runner.claims import claim_client, release_claim
from runner.connections import connect
from runner.migrations import migrate
from runner.sql import sql_file
from tests.campaign_support import create_runner_marts

COMPANY, CLIENT, PHONE = 962302, 17, "79161502239"


@pytest.fixture
def claims_db(database, conn):
    conn.execute(sql_file("bot_schema.sql"))
    conn.commit()
    migrate(conn)
    create_runner_marts(conn)
    conn.commit()
    return database, conn


def _claim(conn, cooldown_days=30, client_id=CLIENT, phone=PHONE):
    return claim_client(
        conn, company_id=COMPANY, client_id=client_id, phone=phone, cooldown_days=cooldown_days
    )


def _age_contact(conn, days: float):
    conn.execute(
        "update reactivation.client_contact_claims set last_contacted_at = now() - %s",
        (timedelta(days=days),),
    )
    conn.commit()


def test_a_client_is_claimed_once_within_the_cooldown(claims_db):
    _, conn = claims_db

    first, second = _claim(conn), _claim(conn)

    assert first.won
    assert not second.won
    assert second.skip_reason == "contacted_recently"


def test_the_cooldown_edge(claims_db):
    _, conn = claims_db
    _claim(conn)

    _age_contact(conn, 29.99)
    assert not _claim(conn).won
    _age_contact(conn, 30)
    assert _claim(conn).won


def test_never_twice_within_24_hours_even_without_a_cooldown(claims_db):
    _, conn = claims_db
    _claim(conn, cooldown_days=0)

    _age_contact(conn, 0.9)
    assert not _claim(conn, cooldown_days=0).won
    _age_contact(conn, 1)
    assert _claim(conn, cooldown_days=0).won


def test_racing_runners_produce_exactly_one_claim(claims_db):
    database, _ = claims_db
    racers = 8
    barrier = threading.Barrier(racers)
    results: list[object] = []

    def race():
        with connect(database) as own:
            barrier.wait(timeout=30)
            try:
                results.append(_claim(own).won)
            except Exception as error:  # asserted below
                results.append(error)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results, key=str) == [False] * (racers - 1) + [True]


def test_a_booking_or_opt_out_since_the_build_blocks_the_claim(claims_db):
    _, conn = claims_db
    conn.execute(
        "insert into public.bookings (company_id, yclients_booking_id, client_id, datetime,"
        " status) values (%s, 1, %s, now() + interval '2 days', 'confirmed')",
        (COMPANY, CLIENT),
    )
    conn.execute(
        "insert into reactivation.opt_outs (company_id, phone) values (%s, %s)",
        (COMPANY, "79000000002"),
    )
    conn.commit()

    booked = _claim(conn)
    opted_out = _claim(conn, client_id=2, phone="79000000002")

    assert (booked.won, booked.skip_reason) == (False, "booked_ahead")
    assert (opted_out.won, opted_out.skip_reason) == (False, "opted_out")
    assert conn.execute("select count(*) from reactivation.client_contact_claims").fetchone() == (
        0,
    )


def test_releasing_a_certainly_undelivered_claim_restores_the_client(claims_db):
    _, conn = claims_db
    _claim(conn)
    _age_contact(conn, 40)
    before = conn.execute(
        "select last_contacted_at from reactivation.client_contact_claims"
    ).fetchone()[0]
    again = _claim(conn)
    assert again.won

    release_claim(conn, again)

    assert (
        conn.execute("select last_contacted_at from reactivation.client_contact_claims").fetchone()[
            0
        ]
        == before
    )
    first_time = _claim(conn, client_id=99, phone="79000000099")
    release_claim(conn, first_time)
    assert conn.execute(
        "select count(*) from reactivation.client_contact_claims where client_id = 99"
    ).fetchone() == (0,)
