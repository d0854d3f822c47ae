"""The README's Python example runs as written (docs drift otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["ck"].metrics.simple_clv(1000, 10, 1000) == 9000
    value = namespace["value"]
    assert value.index.is_unique and (value["clv"] >= 0).all()
    assert len(namespace["scored"]) == value.index.nunique()
    plt.close("all")
