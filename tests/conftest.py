"""Shared fixtures: headless matplotlib, a seeded generator, small demo data."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(autouse=True)
def _settings_per_test():
    """Each test starts from the same matplotlib settings and report language: a test
    that sets up a report context (``ck.report.setup`` applies the report style, e.g.
    left-aligned titles, and the page language) must not change what the next test's
    figures and texts look like."""
    import matplotlib as mpl

    from clvkit import i18n

    language = i18n.get_language()
    with mpl.rc_context():
        yield
    i18n.set_language(language)
