"""Reading back any model written with ``model.save(path)`` (JSON, no pickle).

BG/NBD, MBG/NBD, Pareto/NBD (also with covariates), Gamma-Gamma, BG/BB and sBG models
are saved as their settings plus their learned attributes (parameters, standard errors,
counts) and the clvkit version; :func:`load_model` rebuilds the right class from that
file. The churn classifier, which holds fitted trees rather than a few parameters, has its
own format (:meth:`clvkit.models.ChurnClassifier.load`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..exceptions import ParameterError
from ._estimator import decode_learned

__all__ = ["load_model"]


def _classes() -> dict[str, type]:
    from .bgbb import BGBBModel
    from .btyd import BGNBDModel, MBGNBDModel, ParetoNBDModel
    from .contractual import SBGModel
    from .covariates import BGNBDCovariateModel, ParetoNBDCovariateModel
    from .spend import GammaGammaModel

    return {cls.__name__: cls for cls in (BGNBDModel, ParetoNBDModel, MBGNBDModel,
                                          GammaGammaModel, BGBBModel, SBGModel,
                                          BGNBDCovariateModel, ParetoNBDCovariateModel)}


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model written by ``model.save(path)``.

    Parameters
    ----------
    path : str or os.PathLike
        A JSON file written by the ``save`` method of a BG/NBD, MBG/NBD, Pareto/NBD,
        Gamma-Gamma, BG/BB or sBG model.

    Returns
    -------
    The model, fitted as it was saved (it predicts at once).

    Raises
    ------
    ParameterError
        The file is not JSON or does not describe one of these models.
    """
    classes = _classes()
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            msg = (f"{os.fspath(path)!r} is not a saved clvkit model: it is not JSON ({exc}). "
                   f"Churn classifiers are read with ChurnClassifier.load(path).")
            raise ParameterError(msg) from exc
    name = data.get("model") if isinstance(data, dict) else None
    if name not in classes or not isinstance(data.get("learned"), dict):
        msg = (f"{os.fspath(path)!r} is not a saved clvkit model (model={name!r}); expected one "
               f"of {', '.join(sorted(classes))}.")
        raise ParameterError(msg)
    model = classes[name](**data.get("settings", {}))
    for key, value in decode_learned(data["learned"]).items():
        setattr(model, key, value)
    return model
