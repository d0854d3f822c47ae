"""Errors raised by clvkit.

Every concrete error also subclasses a builtin, so existing ``except ValueError``
code keeps working::

    ClvkitError (Exception)
    ├── DataValidationError (ValueError)   bad or unusable input data
    │   └── SourceError                    a source cannot be read (missing file,
    │                                      unknown format, decoding failure, empty)
    ├── ConfigError (ValueError)           a column mapping or config file is wrong
    ├── ParameterError (ValueError)        an argument or notebook parameter is invalid
    ├── ConvergenceError (RuntimeError)    a model fit did not converge
    └── ReportError (RuntimeError)         a report notebook failed to execute

Validation errors carry evidence (after pandera's ``SchemaError``): ``column``,
``n_failed`` and ``failure_cases`` (a DataFrame of offending rows, or ``None``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClvkitError",
    "ConfigError",
    "ConvergenceError",
    "DataValidationError",
    "ParameterError",
    "ReportError",
    "RunInterrupted",
    "SourceError",
]


class ClvkitError(Exception):
    """Base class of every error clvkit raises on purpose."""


class DataValidationError(ClvkitError, ValueError):
    """Input data is missing, malformed or cannot be used.

    Parameters
    ----------
    message : str
        What is wrong, where, what was expected and what to do.
    column : str, optional
        The column at fault, when there is one.
    n_failed : int, optional
        How many rows fail.
    failure_cases : pandas.DataFrame, optional
        A few of the offending rows.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        n_failed: int | None = None,
        failure_cases: Any = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.n_failed = n_failed
        self.failure_cases = failure_cases


class SourceError(DataValidationError):
    """A data source cannot be read: missing file, unknown format, bad encoding, empty."""


class ConfigError(ClvkitError, ValueError):
    """A column mapping or configuration file is invalid."""


class ParameterError(ClvkitError, ValueError):
    """A function argument or notebook parameter has an invalid value or name."""


class ConvergenceError(ClvkitError, RuntimeError):
    """A model fit did not converge."""


class ReportError(ClvkitError, RuntimeError):
    """A report notebook failed; the message names the notebook and the cell."""


class RunInterrupted(BaseException):
    """The run was stopped by a signal; ``exit_code`` is 128 + the signal number.

    Like :class:`KeyboardInterrupt` it is not an :class:`Exception`: the handler raises
    it wherever the main thread happens to be (inside the scoring run, say), and a
    step that turns its own failures into a note (``except ClvkitError``, ``except
    Exception``) must not swallow a stop request and carry on for minutes.
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum
