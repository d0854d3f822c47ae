"""Render executed notebooks as self-contained HTML pages and the index page.

The pages use clvkit's own small nbconvert template (``templates/clvkit``), not
nbconvert's "lab" template, which loads require.js and MathJax from a CDN and so
logs console errors when the report is opened offline. Everything a page needs is
inline: CSS, PNG figures, and plotly.js (embedded by the notebook's first plotly
figure, see :mod:`clvkit.report._figures`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat

from .. import __version__, i18n

__all__ = ["ANALYST_TAG", "SectionLink", "audience_notebook", "notebook_title", "render_html",
           "render_index", "translate_notebook"]

_TEMPLATES = resources.files("clvkit.report") / "templates"
_HEADING = re.compile(r"^\s*#\s+(.+?)\s*$", re.MULTILINE)
#: Markdown cells with this tag are shown to the analyst audience only.
ANALYST_TAG = "analyst-only"
#: A paragraph telling the reader how to run the notebook: a ``clvkit ...`` command or
#: JupyterLab. Kept for analysts, left out of client pages.
_RUN_HINT = re.compile(r"`clvkit\s[^`]*`|JupyterLab", re.IGNORECASE)


@dataclass(frozen=True)
class SectionLink:
    """A link in the navigation bar and on the index page."""

    href: str
    label: str
    current: bool = False


def translate_notebook(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """Return a copy whose markdown cells use their ``metadata.i18n[lang]`` text.

    Cells without a translation keep their source (English). Chinese text gets
    full-width punctuation (:func:`clvkit.i18n.punctuate`; code spans, URLs and
    numbers such as ``1,234`` are left alone). ``lang="en"`` returns an unchanged
    copy.
    """
    out = copy.deepcopy(nb)
    if lang == "en":
        return out
    for cell in out.cells:
        text = cell.get("metadata", {}).get("i18n", {}).get(lang)
        if cell.cell_type == "markdown" and text:
            cell.source = i18n.punctuate(text, lang)  # full-width ，：； in Chinese prose
    return out


def _for_client(source: str) -> str:
    """Drop the paragraphs of a markdown cell that are run instructions."""
    paragraphs = re.split(r"\n\s*\n", source)
    return "\n\n".join(p for p in paragraphs if not _RUN_HINT.search(p))


def audience_notebook(nb: nbformat.NotebookNode, audience: str) -> nbformat.NotebookNode:
    """Return ``nb`` as the audience reads it (the notebook itself is not changed).

    For a client, markdown cells tagged ``analyst-only`` are removed and, in the
    other markdown cells, paragraphs with run instructions (a ```clvkit ...```
    command or JupyterLab) are left out. Analysts get every cell.
    """
    if audience == "analyst":
        return nb
    out = copy.deepcopy(nb)
    kept = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            if ANALYST_TAG in cell.get("metadata", {}).get("tags", []):
                continue
            cell.source = _for_client(cell.source)
            if not cell.source.strip():
                continue
        kept.append(cell)
    out.cells = kept
    return out


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Return the text of the first level-1 markdown heading, or ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1)
    return fallback


def _css() -> str:
    return (_TEMPLATES / "report.css").read_text(encoding="utf-8")


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def render_html(
    nb: nbformat.NotebookNode | str | Path,
    *,
    lang: str = "en",
    audience: str = "client",
    sections: Sequence[SectionLink] = (),
    footer: str = "",
) -> str:
    """Render one executed notebook as a standalone HTML page.

    Parameters
    ----------
    nb : NotebookNode, str or Path
        The executed notebook (or its file).
    lang : {"en", "zh"}, default "en"
        Language of the markdown cells (from their ``i18n`` metadata), of the page
        chrome, and the page's ``lang`` attribute (``zh`` for Chinese).
    audience : {"client", "analyst"}, default "client"
        "client" hides code cells, warnings printed to stderr, markdown tagged
        ``analyst-only`` and run instructions (:func:`audience_notebook`);
        "analyst" shows the code (collapsed) and every output.
    sections : sequence of SectionLink
        Navigation bar links (the index is always linked first).
    footer : str
        Text at the bottom of the page (run time stamp, data name).

    Returns
    -------
    str
        The HTML document.
    """
    from nbconvert import HTMLExporter

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    nb = audience_notebook(translate_notebook(nb, lang), audience)
    analyst = audience == "analyst"
    exporter = HTMLExporter(
        extra_template_basedirs=[str(_TEMPLATES)],
        template_name="clvkit",
        exclude_input=not analyst,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    page = {
        "language_code": lang,
        "version": __version__,
        "title": notebook_title(nb, i18n.t("report_title", lang)),
        "css": _css(),
        "pygments_css": _pygments_css() if analyst else "",
        "show_code": analyst,
        "open_code": False,
        "show_stderr": analyst,
        "audience": audience,
        "sections": list(sections),
        "back": i18n.t("report_back", lang),
        "code_label": i18n.t("report_code", lang),
        "figure_alt": i18n.t("report_figure", lang),
        "footer": footer,
    }
    body, _ = exporter.from_notebook_node(nb, resources={"clvkit": page})
    return body


def render_index(context: Mapping[str, Any], lang: str = "en") -> str:
    """Render the index page from ``context`` (see ``templates/index.html.j2``)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = env.get_template("index.html.j2")
    return template.render(css=_css(), lang=lang, t=lambda key, **kw: i18n.t(key, lang, **kw),
                           version=__version__, **context)
