"""The bot's tables in either layout, for the demo, the tests and `generate-data`.

The seed layout is the migration file's (shared/facts/source-data.md, `sql/bot_schema.sql`).
The production layout is built from the bot's own schema snapshot of 2025-12-01
(`sql/bot-production-schema-2025-12-01.json`, a copy of shared/facts'), column for column,
defaults and indexes included, so our pipeline meets the tables salons really have and not our
idea of them. In a salon's database these tables already exist and are never written by us.
"""

import json
from functools import cache

import psycopg

from runner.sql import sql_file

LAYOUTS = ("seed", "production")
SNAPSHOT = "bot-production-schema-2025-12-01.json"
# The tables we read, and webhook_events for completeness of what the sync writes.
PRODUCTION_TABLES = (
    "companies",
    "clients",
    "services",
    "bookings",
    "appointments_cache",
    "messages",
    "webhook_events",
)
# The snapshot says ARRAY without the element type; these are the types the bot's code writes.
ARRAY_TYPES = {
    ("bookings", "service_ids"): "integer[]",
    ("clients", "branch_ids"): "integer[]",
    ("clients", "last_service_ids"): "integer[]",
    ("clients", "favorite_staff_ids"): "integer[]",
}


@cache
def production_snapshot() -> dict:
    return json.loads(sql_file(SNAPSHOT))


def production_columns(table: str) -> list[str]:
    return list(production_snapshot()["tables"][table]["columnNames"])


def production_ddl(tables: tuple[str, ...] = PRODUCTION_TABLES) -> list[str]:
    """CREATE statements for the snapshot's tables: sequences, tables, then its indexes."""
    statements = []
    for table in tables:
        spec = production_snapshot()["tables"][table]
        columns = []
        for column in spec["columns"]:
            default = column["default"]
            if default and default.startswith("nextval("):
                sequence = default.split("'")[1]
                statements.append(f"create sequence if not exists public.{sequence}")
            columns.append(
                " ".join(
                    part
                    for part in (
                        _quoted(column["name"]),
                        _column_type(table, column),
                        "" if column["nullable"] else "not null",
                        f"default {default}" if default else "",
                    )
                    if part
                )
            )
        statements.append(f"create table if not exists public.{table} ({', '.join(columns)})")
        for index in spec["indexes"]:
            statements.append(index["definition"].replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
    return statements


def create_bot_tables(conn: psycopg.Connection, layout: str) -> None:
    """The bot's tables in `layout`, if they are not there yet."""
    if layout == "seed":
        conn.execute(sql_file("bot_schema.sql"))
    elif layout == "production":
        for statement in production_ddl():
            conn.execute(statement)
    else:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")


def detect_layout(conn: psycopg.Connection) -> str | None:
    """The layout of the bot's tables in this database (None when there are none): only the
    production layout keys companies by company_id, as the dbt project decides."""
    columns = {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'public' and table_name = 'companies'"
        )
    }
    if not columns:
        return None
    return "production" if "company_id" in columns else "seed"


def _column_type(table: str, column: dict) -> str:
    kind = column["type"]
    if kind == "ARRAY":
        return ARRAY_TYPES.get((table, column["name"]), "text[]")
    if kind == "character varying" and column["maxLength"]:
        return f"varchar({column['maxLength']})"
    return kind


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
