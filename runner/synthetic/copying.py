"""Rows into Postgres by COPY, the generator's one way of writing the bot's tables."""

import psycopg


def copy_rows(cursor: psycopg.Cursor, statement: str, rows: list[tuple]) -> None:
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
