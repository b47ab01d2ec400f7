"""Real Postgres and Redis for every test: the configured ones (PG*, REDIS_URL) or embedded.

Each test that needs a database gets a fresh one on the shared server, dropped afterwards,
so tests never see each other's rows and can run in any order.
"""

from collections.abc import Iterator

import psycopg
import pytest
import redis

from runner.config import PostgresSettings, Settings
from runner.connections import Services, connect, open_services, redis_client
from tests.support import fresh_database, settings_for_tests


@pytest.fixture(scope="session")
def settings() -> Settings:
    return settings_for_tests()


@pytest.fixture(scope="session")
def services(settings: Settings) -> Iterator[Services]:
    with open_services(settings, allow_embedded=True) as opened:
        yield opened


@pytest.fixture
def database(services: Services) -> Iterator[PostgresSettings]:
    with fresh_database(services) as created:
        yield created


@pytest.fixture
def conn(database: PostgresSettings) -> Iterator[psycopg.Connection]:
    with connect(database) as connection:
        yield connection


@pytest.fixture
def redis_conn(services: Services) -> Iterator[redis.Redis]:
    client = redis_client(services.redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()
