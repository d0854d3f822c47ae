"""A stated, seeded cap on the churn classifier's train customers (large bases only)."""

from __future__ import annotations

import pandas as pd
import pytest

import clvkit as ck
from clvkit.exceptions import ParameterError
from clvkit.models.churn import evaluate_churn_model


@pytest.fixture(scope="module")
def demo():
    return ck.load_data("demo", demo_customers=600, seed=3)


def _n(ev, split):
    m = ev.metrics
    return m[(m["metric"] == "n_customers") & (m["split"] == split)
             & (m["model"] == "gradient_boosting")]["value"].iloc[0]


def test_cap_above_the_split_changes_nothing(demo):
    full = evaluate_churn_model(demo, random_state=1, baseline=False)
    capped = evaluate_churn_model(demo, random_state=1, baseline=False,
                                  max_train_customers=10_000)
    assert full.train_customers is None and capped.train_customers is None
    pd.testing.assert_frame_equal(full.metrics, capped.metrics, check_exact=True)
    pd.testing.assert_frame_equal(full.scores, capped.scores, check_exact=True)


def test_cap_trains_on_a_seeded_sample_and_tests_on_everyone(demo):
    full = evaluate_churn_model(demo, random_state=1, baseline=False)
    a = evaluate_churn_model(demo, random_state=1, baseline=False, max_train_customers=200)
    b = evaluate_churn_model(demo, random_state=1, baseline=False, max_train_customers=200)
    assert a.train_customers == _n(full, "train") > 200 and _n(a, "train") == 200
    assert _n(a, "test") == _n(full, "test")  # every test customer is scored
    pd.testing.assert_frame_equal(a.scores, b.scores, check_exact=True)  # seeded


@pytest.mark.parametrize("bad", [0, 2.5, True, "many"])
def test_cap_must_be_a_positive_whole_number(demo, bad):
    with pytest.raises(ParameterError, match="max_train_customers must be a whole number"):
        evaluate_churn_model(demo, baseline=False, max_train_customers=bad)


def test_scoring_says_when_the_classifier_was_trained_on_a_sample(demo, monkeypatch):
    from clvkit.report._scores import note_key
    from clvkit.scoring import _models

    monkeypatch.setattr(_models, "CLASSIFIER_MAX_TRAIN", 150)
    sc = ck.score(demo, churn_window_days=90)  # a 90-day window: a larger train snapshot
    note = next(n for n in sc.notes if n.code == "classifier_train_sample")
    assert note.section == "05" and note.values["sample"] == 150
    assert note.values["customers"] > 150
    en = ck.report.show_notes(ck.report.setup(lang="en"), sc, "05").data
    zh = ck.report.show_notes(ck.report.setup(lang="zh"), sc, "05").data
    assert f"random sample of 150 of the {note.values['customers']:,} customers" in en
    assert "随机抽取 150 位进行训练" in zh and note_key(note.code) == (
        "scoring.note.classifier_train_sample")
