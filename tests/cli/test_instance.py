"""The CLI's instance when another command is creating Dagster's tables in the same new database."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import ProgrammingError

from governance_pipeline.cli import instance


class _Race:
    """``DagsterInstance.get`` losing the race ``failures`` times, as psycopg2 words it, then finding the tables."""

    def __init__(self, failures: int, message: str = 'type "secondary_indexes" already exists') -> None:
        self.failures, self.message, self.calls = failures, message, 0

    def get(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ProgrammingError("CREATE TABLE secondary_indexes (...)", {}, Exception(self.message))
        return "the instance"


@pytest.fixture
def race(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setattr(instance, "CREATE_RACE_PAUSE_SECONDS", 0)

    def install(r: _Race) -> _Race:
        monkeypatch.setattr(instance.DagsterInstance, "get", r.get)
        return r

    return install


def test_a_command_that_loses_the_table_creation_race_tries_again(race):
    r = race(_Race(failures=2))
    assert instance.get_instance() == "the instance"
    assert r.calls == 3


def test_other_database_errors_are_not_retried(race):
    r = race(_Race(failures=1, message="permission denied for schema public"))
    with pytest.raises(ProgrammingError, match="permission denied"):
        instance.get_instance()
    assert r.calls == 1


def test_a_race_that_never_ends_is_an_error_after_a_few_tries(race):
    r = race(_Race(failures=99))
    with pytest.raises(ProgrammingError, match="already exists"):
        instance.get_instance()
    assert r.calls == instance.CREATE_RACE_TRIES
