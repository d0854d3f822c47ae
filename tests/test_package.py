"""Contract tests for the public API surface."""

import importlib
import subprocess
import sys

import clvkit


def test_every_exported_name_resolves():
    for name in clvkit.__all__:
        assert getattr(clvkit, name) is not None, name


def test_import_is_light():
    # `import clvkit` must not pull in the heavy stack (lazy exports, PEP 562).
    code = (
        "import sys, clvkit; "
        "heavy = [m for m in ('sklearn', 'lifetimes', 'matplotlib', 'papermill') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        clvkit.nope  # noqa: B018


def test_errors_subclass_builtins():
    exc = importlib.import_module("clvkit.exceptions")
    assert issubclass(exc.DataValidationError, ValueError)
    assert issubclass(exc.ConvergenceError, RuntimeError)
    err = exc.DataValidationError("x", column="amount", n_failed=3)
    assert (err.column, err.n_failed) == ("amount", 3)


def test_error_examples_are_short_and_say_when_there_are_more():
    from clvkit._messages import examples

    assert examples(["C1", "C2"]) == "C1, C2"
    assert examples(range(10), n=3) == "0, 1, 2, ..."
    assert examples(iter(range(3)), n=3) == "0, 1, 2"  # exactly n: no ellipsis
    assert examples([]) == ""
