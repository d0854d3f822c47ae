"""How figures reach the report: high-dpi PNG for matplotlib, offline HTML for plotly.

Plotly's own renderers do not fit a report that must work offline: the default one
leaves nothing nbconvert can show when run under papermill, and the "notebook"
renderer adds a MathJax ``<script>`` from a CDN. The renderer registered here embeds
plotly.js in the first figure of each kernel (= each report page) and no CDN link.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PLOTLY_RENDERER", "configure_display", "show_figure"]

PLOTLY_RENDERER = "clvkit"
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _renderer() -> Any:
    """Return a new offline renderer (plotly is imported only when figures are set up)."""
    from plotly.io.base_renderers import MimetypeRenderer

    class OfflineRenderer(MimetypeRenderer):
        """Plotly renderer: HTML with plotly.js inlined once per kernel, plus plotly JSON.

        The JSON mimetype lets JupyterLab draw the figure with its plotly extension;
        the HTML is what nbconvert puts in the report page.
        """

        def __init__(self) -> None:
            self.included = False

        def to_mimebundle(self, fig_dict: dict) -> dict[str, Any]:
            import plotly.io as pio

            html = pio.to_html(
                fig_dict,
                include_plotlyjs=not self.included,
                include_mathjax=False,
                full_html=False,
                config=_PLOTLY_CONFIG,
                default_width="100%",
                default_height=480,
                validate=False,
            )
            self.included = True
            return {"text/html": html, "application/vnd.plotly.v1+json": fig_dict}

    return OfflineRenderer()


def configure_display() -> None:
    """Register the plotly renderer, retina PNG figures and the inline backend.

    Inside a Jupyter kernel, matplotlib is switched to the inline backend even when
    ``MPLBACKEND`` says otherwise (pytest sets Agg), so figures behave the same in
    JupyterLab, under papermill and under nbval.
    """
    import plotly.io as pio

    if PLOTLY_RENDERER not in pio.renderers:
        pio.renderers[PLOTLY_RENDERER] = _renderer()
    pio.renderers.default = PLOTLY_RENDERER
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    shell = get_ipython()
    if shell is None or "ZMQ" not in type(shell).__name__:
        return
    import matplotlib.pyplot as plt
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    plt.switch_backend("module://matplotlib_inline.backend_inline")
    set_matplotlib_formats("retina", bbox_inches="tight", metadata={"Software": None})


def show_figure(obj: Any) -> None:
    """Display a matplotlib Axes/Figure or a plotly figure, then close it (matplotlib)."""
    from IPython.display import display

    if hasattr(obj, "to_plotly_json"):
        obj.show()
        return
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if hasattr(obj, "flat") and len(obj) and isinstance(obj.flat[0], Axes):
        obj = obj.flat[0]
    if isinstance(obj, Axes):
        obj = obj.get_figure(root=True)
    if not isinstance(obj, Figure):
        display(obj)
        return
    display(obj)
    plt.close(obj)
