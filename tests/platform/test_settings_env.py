"""Numbers in the environment: a wrong one stops the start-up and says which variable it was."""

from __future__ import annotations

import pytest

from app.settings import Settings


def test_a_number_setting_that_is_not_a_number_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_RECYCLE_SECONDS", "4h")
    with pytest.raises(ValueError, match=r"DB_POOL_RECYCLE_SECONDS must be a whole number, not '4h'"):
        Settings()


def test_number_settings_are_read_and_blank_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_RECYCLE_SECONDS", " 14400 ")
    monkeypatch.setenv("DB_POOL_SLICES", "")
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    settings = Settings()
    assert settings.db_pool_recycle_seconds == 14400
    assert settings.db_pool_slices == 1
    assert settings.db_pool_size == 10
