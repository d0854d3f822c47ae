"""The translation catalogues: complete in both languages, consistent, and used keys exist."""

from __future__ import annotations

import re
import string
import sys
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from clvkit import i18n
from clvkit.plots import style

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCALES = resources.files("clvkit") / "locales"
FILES = sorted(p.name for p in LOCALES.iterdir() if p.name.endswith(".toml"))
SRC = Path(i18n.__file__).parent


def _load(name: str) -> dict[str, dict[str, str]]:
    return tomllib.loads((LOCALES / name).read_text(encoding="utf-8"))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("name", FILES)
def test_catalogue_has_both_languages_with_the_same_keys(name):
    data = _load(name)
    assert set(data) == {"en", "zh"}, f"{name}: tables {sorted(data)}"
    only_en = sorted(set(data["en"]) - set(data["zh"]))
    only_zh = sorted(set(data["zh"]) - set(data["en"]))
    assert not only_en and not only_zh, f"{name}: only en {only_en}, only zh {only_zh}"


@pytest.mark.parametrize("name", FILES)
def test_translations_are_non_empty_and_keep_placeholders(name):
    data = _load(name)
    for key, en in data["en"].items():
        zh = data["zh"][key]
        assert en.strip() and zh.strip(), f"{name}: empty text for {key!r}"
        assert _fields(en) == _fields(zh), f"{name}: {key!r} placeholders differ"


def test_chinese_texts_are_chinese():
    """A zh entry that has no CJK character at all is usually an untranslated copy."""
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    untranslated = [
        (name, key) for name in FILES for key, zh in _load(name)["zh"].items()
        if not cjk.search(zh) and re.search(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", zh))
        and zh == _load(name)["en"][key]
    ]
    assert not untranslated, f"zh entries identical to English: {untranslated[:10]}"


def test_english_texts_have_no_chinese():
    """An English report must not show Chinese (a zh text pasted into the en table)."""
    cjk = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
    mixed = [(name, key, en) for name in FILES for key, en in _load(name)["en"].items()
             if cjk.search(en)]
    assert not mixed, f"en entries with Chinese characters: {mixed[:10]}"


def test_no_key_defined_twice_with_different_text():
    """The catalogues are merged into one; a key in two files must mean the same."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    clashes = []
    for name in FILES:
        for key, text in _load(name)["en"].items():
            for other, other_text in seen[key].items():
                if other_text != text:
                    clashes.append((key, other, name))
            seen[key][name] = text
    assert not clashes, f"keys defined differently in two catalogues: {clashes}"


_USED = re.compile(r"""(?:\bt|ctx\.say|ctx\.t|self\.t|i18n\.t)\(\s*["']([a-z][\w.]*)["']""")


def test_keys_used_by_report_code_exist():
    """Every literal key the report code and its plots translate is in the catalogue
    (prefixes completed at run time, like ``"quality.action." + code``, are skipped)."""
    files = [*sorted((SRC / "report").glob("*.py")), SRC / "plots" / "quality.py",
             SRC / "plots" / "style.py"]
    catalogue = i18n._catalogue()
    missing = sorted({(f.name, key) for f in files
                      for key in _USED.findall(f.read_text(encoding="utf-8"))
                      if key not in catalogue["en"] and not key.endswith(".")})
    assert not missing, f"translation keys used but not defined: {missing}"


def test_t_falls_back_and_formats():
    shown = i18n.t("report_rows_shown", "zh", shown=5, total="1,000")
    assert shown == "显示前 5 行，共 1,000 行。"  # full-width comma; "1,000" untouched
    assert i18n.t("no.such.key", "zh") == "no.such.key"


@pytest.mark.skipif(not style.has_cjk_font(), reason="no CJK font installed "
                    "(apt-get install fonts-noto-cjk): Chinese figure text cannot be checked")
def test_chinese_figure_text_uses_a_cjk_font():
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    with mpl.rc_context():  # the style is global: restore it for the tests that follow
        style.apply_style("zh")
        fig, ax = plt.subplots()
        title = ax.set_title("客户价值")
        fonts = font_manager.fontManager._find_fonts_by_props(title.get_fontproperties())
        names = [font_manager.get_font(f).family_name for f in fonts]
        plt.close(fig)
    assert any(name in style.CJK_FONTS for name in names), names


@pytest.mark.parametrize("missing", [float("nan"), None])
def test_formatters_show_missing_values_as_na(missing):
    assert i18n.format_int(missing) == "n/a"
    assert i18n.format_money(missing, "$") == "n/a"
    assert i18n.format_pct(missing) == "n/a"


def test_formatters_round_and_sign():
    assert i18n.format_int(12344.6) == "12,345"
    assert i18n.format_money(-50.4, "¥") == "-¥50"
    assert i18n.format_pct(0.1234) == "12.3%"
