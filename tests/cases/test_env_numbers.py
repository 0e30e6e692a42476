"""Whole-number settings from the environment: a default when unset, a Swedish refusal when wrong.

Why: `EGK_WEB_SOURCES_KEPT=-1` (or FRAMES/EVALUATIONS) made the first page that kept a table
fail with a KeyError deep in the cache; now the setting itself is refused, naming the variable.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from egenkontroll.pages import snapshot
from egenkontroll.web.env import envint


def test_unset_or_empty_gives_the_default_and_a_number_is_taken(monkeypatch):
    monkeypatch.delenv("EGK_TEST_N", raising=False)
    assert envint("EGK_TEST_N", 7) == 7
    monkeypatch.setenv("EGK_TEST_N", "")
    assert envint("EGK_TEST_N", 7, low=0, high=9) == 7
    monkeypatch.setenv("EGK_TEST_N", "9")
    assert envint("EGK_TEST_N", 7, low=0, high=9) == 9


@pytest.mark.parametrize(("value", "low", "high", "message"), [
    ("tre", None, None, "EGK_TEST_N ska vara ett heltal, inte 'tre'"),
    ("-1", 0, 9, "EGK_TEST_N ska vara ett heltal 0–9, inte '-1'"),
    ("10", 0, 9, "EGK_TEST_N ska vara ett heltal 0–9, inte '10'"),
    ("1.5", 0, None, "EGK_TEST_N ska vara ett heltal ≥ 0, inte '1.5'"),
])
def test_a_wrong_value_is_refused_naming_the_variable(monkeypatch, value, low, high, message):
    monkeypatch.setenv("EGK_TEST_N", value)
    with pytest.raises(ValueError) as refused:
        envint("EGK_TEST_N", 7, low=low, high=high)
    assert str(refused.value) == message


@pytest.mark.parametrize("name", ["EGK_WEB_EVALUATIONS_KEPT", "EGK_WEB_FRAMES_KEPT", "EGK_WEB_SOURCES_KEPT", "EGK_WEB_FRAMES_MB"])
def test_the_pages_cache_sizes_are_bounded(name):
    """Read as the module loads, in a process of its own (reloading it here would leave the other
    modules holding the old one's classes)."""
    def load(value: str) -> subprocess.CompletedProcess:
        code = f"from egenkontroll.pages import snapshot; print(snapshot.{name.removeprefix('EGK_WEB_')})"
        return subprocess.run([sys.executable, "-c", code], env={**os.environ, name: value},
                              capture_output=True, text=True, timeout=120, check=False)

    refused = load("-1")
    assert refused.returncode != 0
    assert f"{name} ska vara ett heltal 0–{snapshot.KEPT_MAX}, inte '-1'" in refused.stderr
    kept_none = load("0")  # keep none: every table is made or read again, but it works
    assert kept_none.returncode == 0 and kept_none.stdout.strip() == "0"
