"""Text helpers of the voice-of-the-customer metrics (private): contacts, language, terms."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["chinese_terms", "comment_language", "mask_contacts", "once_per_text", "per_text"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d\s\-().]{5,}\d(?![A-Za-z0-9])")
_DATE_LIKE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z]{2,}")


#: Function characters (particles, degree adverbs, measure words) whose character
#: pairs mostly straddle two words ("程太" in "流程太复杂"); such pairs are not terms.
_PARTICLES = frozenset("的了太很给也还都就在是有和与把被让吗呢吧啊又再次点得地着过会一这那个")


def chinese_terms(text: str) -> list[str]:
    """Character bigrams inside each run of Chinese characters; Latin words whole.

    Most Chinese words are two characters long, and text has no spaces between
    words, so overlapping bigrams are the usual index terms (Nie, Gao, Zhang & Zhou,
    "On the use of words and n-grams for Chinese information retrieval", IRAL 2000).
    Bigrams with a function character are left out (see ``_PARTICLES``).
    """
    terms = []
    for run in _CJK_RUN.findall(text.lower()):
        if run.isascii():
            terms.append(run)
            continue
        terms.extend(pair for pair in (run[i:i + 2] for i in range(len(run) - 1))
                     if not _PARTICLES.intersection(pair))
    return terms


def mask_contacts(text: object) -> object:
    """Replace e-mail addresses by ``[email]`` and phone numbers by ``[phone]`` in a text.

    A phone number is a run of at least 7 digits, possibly with +, spaces, dashes,
    dots or brackets in between (dates such as 2026-09-02 excepted). Non-text values
    are returned unchanged.
    """
    if not isinstance(text, str):
        return text
    return _PHONE.sub(_phone, _EMAIL.sub("[email]", text))


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    return found if digits < 7 or _DATE_LIKE.fullmatch(found) else "[phone]"


def comment_language(text: str) -> str:
    """Return ``"zh"`` when Chinese characters are >= 1/3 of the letters, else ``"en"``."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and 3 * cjk >= cjk + latin else "en"


def per_text(texts: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """``texts.map(function)``, calling ``function`` once per distinct text (survey
    comments repeat: "Delivery was late." thousands of times)."""
    codes, distinct = pd.factorize(texts)
    done = np.empty(len(distinct) + 1, dtype=object)
    done[:-1] = [function(text) for text in distinct]
    done[-1] = np.nan  # code -1: a missing text
    return pd.Series(done[codes], index=texts.index, name=texts.name)


def once_per_text(analyse: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """``analyse`` remembering its terms for each distinct text it has seen."""
    seen: dict[str, list[str]] = {}

    def terms(text: str) -> list[str]:
        found = seen.get(text)
        if found is None:
            found = seen[text] = analyse(text)
        return found

    return terms
