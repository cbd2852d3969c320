"""The helper every test that needs ../shared goes through: skip locally, fail in CI."""

from __future__ import annotations

import pytest

from tests import conftest


def test_missing_shared_data_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "no-shared-here")
    monkeypatch.setenv("CI", "true")
    try:
        conftest.shared("seeds")
    except pytest.fail.Exception as e:
        assert "CI=true" in str(e)
    except pytest.skip.Exception:  # a skip would let CI pass without the data
        pytest.fail("missing ../shared was skipped although CI=true")
    else:
        pytest.fail("missing ../shared was not reported")


def test_missing_shared_data_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "no-shared-here")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        conftest.shared("seeds")


def test_present_shared_data_is_returned(monkeypatch, tmp_path):
    (tmp_path / "seeds").mkdir()
    monkeypatch.setattr(conftest, "SHARED", tmp_path)
    monkeypatch.setenv("CI", "true")
    assert conftest.shared("seeds") == tmp_path / "seeds"
