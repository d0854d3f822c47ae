"""Contract tests for the public API surface."""

import importlib
import subprocess
import sys

import pytest

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


def test_plot_input_check_names_what_is_missing_and_what_to_pass():
    import pandas as pd

    from clvkit.exceptions import DataValidationError
    from clvkit.plots._checks import require_table

    frame = pd.DataFrame({"a": [1]})
    require_table(frame, ("a",), "f()", rows=True)  # fine
    with pytest.raises(DataValidationError, match=r"has no column\(s\) 'b'; it has 'a'\. "
                                                  r"Pass the output of f\(\)\.") as err:
        require_table(frame, ("a", "b"), "f()")
    assert err.value.column == "b"
    with pytest.raises(DataValidationError, match="no rows: nothing to draw"):
        require_table(frame.iloc[0:0], ("a",), "f()", rows=True)
    require_table(frame.iloc[0:0], ("a",), "f()")  # empty allowed unless rows=True
    with pytest.raises(DataValidationError, match="expected a DataFrame: the output of f"):
        require_table([1, 2], ("a",), "f()")


def test_missing_column_message_names_caller_table_columns_and_remedy():
    import pandas as pd

    from clvkit._messages import require_columns
    from clvkit.exceptions import DataValidationError

    frame = pd.DataFrame({"客户": ["a"], "amount": [1.0]})
    require_columns(frame, ["amount"], "transactions")  # present: nothing raised
    with pytest.raises(DataValidationError) as err:
        require_columns(frame, ["customer_id", "amount"], "transactions", "f()")
    assert str(err.value).startswith("f(): the transactions table has no column(s) "
                                     "'customer_id'; it has '客户', 'amount'. Rename them")
    assert err.value.column == "customer_id"
    with pytest.raises(DataValidationError, match=r"it has no columns\. Do this\.$"):
        require_columns(pd.DataFrame(), ["x"], "t", todo="Do this.")
