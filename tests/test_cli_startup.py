"""Start-up of the clvkit command line: a subcommand imports only what it runs."""

from __future__ import annotations

import subprocess
import sys


def test_score_command_does_not_import_the_report_package():
    """`clvkit score` starts without the report stack (SciPy statistics, the metrics)."""
    code = ("import sys; from clvkit import cli; p = cli._parser(['score', '--help']); "
            "print('clvkit.report' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    from clvkit import cli

    parser = cli._parser(["report", "--help"])  # the full report parser when asked
    assert "--audience" in parser._subparsers._group_actions[0].choices["report"].format_help()
