"""SQL the runner executes, kept in .sql files beside this module."""

from importlib.resources import files
from importlib.resources.abc import Traversable


def sql_file(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def migration_files() -> list[Traversable]:
    return list(files(__name__).joinpath("migrations").iterdir())
