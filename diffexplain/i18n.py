"""Languages: gettext catalogs, the current language, and CJK fonts for figures.

Every sentence diffexplain shows a person goes through :func:`_` (or :func:`ngettext`);
the catalogs are standard gettext files managed with Babel
(``diffexplain/locale/<lang>/LC_MESSAGES/diffexplain.po``, compiled to ``.mo``) and
read at run time by the standard library's :mod:`gettext`. Numbers, formulas and JSON
keys are never translated.

The current language lives in a :class:`~contextvars.ContextVar`, so ``explain(...,
lang="zh")`` in one thread or task does not change another's. Without one, the locale
decides (``LC_ALL``, ``LC_MESSAGES``, ``LANG``; ``zh*`` → Chinese, anything else
English).

>>> with use_lang("zh"):
...     _("gradient")
'梯度'
>>> with use_lang("en"):
...     _("gradient")
'gradient'
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from diffexplain import errors

__all__ = [
    "GLOSSARY",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "cjk_font",
    "default_lang",
    "figure_rc",
    "get_lang",
    "in_figure_lang",
    "localized",
    "ngettext",
    "normalize",
    "renders_in_lang",
    "rule_text",
    "use_lang",
]

#: the languages with a catalog (English is the source language: no catalog)
LANGUAGES = ("en", "zh")
DOMAIN = "diffexplain"
LOCALE_DIR = Path(__file__).with_name("locale")

_current: ContextVar[str | None] = ContextVar("diffexplain_lang", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def normalize(lang: str | None, strict: bool = True) -> str:
    """``"zh_CN.UTF-8"``, ``"zh-Hans"``, ``"ZH"`` → ``"zh"``; ``"en_US"``, ``"C"`` → ``"en"``.

    An explicit language that has no catalog is an error when ``strict`` (the user asked
    for it by name); a locale's is not (English is the fallback).
    """
    raw = (lang or "").strip()
    base = raw.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if base in LANGUAGES:
        return base
    if not strict or base in ("", "c", "posix"):
        return "en"
    raise errors.InputError(_("unknown language {lang!r}; choose one of: {choices}").format(
        lang=raw, choices=", ".join(LANGUAGES)))


def default_lang(environ: Any = None) -> str:
    """The language of the locale: the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``.

    >>> default_lang({"LANG": "zh_CN.UTF-8"}), default_lang({"LANG": "de_DE"}), default_lang({})
    ('zh', 'en', 'en')
    """
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return normalize(value, strict=False)
    return "en"


def get_lang() -> str:
    """The current language: :func:`use_lang`'s, else the locale's."""
    return _current.get() or default_lang()


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Run a block in ``lang`` (``None``: keep the current language)."""
    resolved = normalize(lang) if lang is not None else get_lang()
    token = _current.set(resolved)
    try:
        yield resolved
    finally:
        _current.reset(token)


@functools.cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    return _translations(get_lang()).gettext(message)


errors._translate = _  # the errors' own sentences (carets, line numbers) in the user's language


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for the count ``n``, in the current language."""
    return _translations(get_lang()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (tables built at import)."""
    return message


def localized(fn: F) -> F:
    """Run an API function in its ``lang=`` keyword's language and stamp the result's ``lang``."""
    import dataclasses

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = normalize(kwargs.get("lang")) if kwargs.get("lang") is not None else get_lang()
        kwargs["lang"] = lang
        with use_lang(lang):
            result = fn(*args, **kwargs)
        if (dataclasses.is_dataclass(result) and not isinstance(result, type)
                and getattr(result, "lang", lang) != lang):
            result = dataclasses.replace(result, lang=lang)
        return result

    return wrapper  # type: ignore[return-value]


def renders_in_lang(fn: F) -> F:
    """A renderer of an explanation speaks the explanation's language."""

    @functools.wraps(fn)
    def wrapper(e: Any, *args: Any, **kwargs: Any) -> Any:
        with use_lang(getattr(e, "lang", None)):  # no ``lang``: the current language
            return fn(e, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --- figures ----------------------------------------------------------------------------------
#: font families known to cover Chinese, most preferred first
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC",
                "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
                "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback")
_warned: list[bool] = []


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or ``None``.

    matplotlib lists the fonts once and caches the list on disk, so a font installed
    later is not in it: on a miss the list is rebuilt once (and the cache rewritten)
    before giving up.
    """
    from matplotlib import font_manager

    family = _cjk_in(font_manager.fontManager)
    if family is None:
        try:
            fresh = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a private helper: if it changes, keep the old list
            return None
        font_manager.fontManager = fresh
        font_manager.findfont = fresh.findfont  # matplotlib's module-level alias
        family = _cjk_in(fresh)
    return family


def _cjk_in(manager: Any) -> str | None:
    names = {f.name for f in manager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    return next((n for n in sorted(names) if "CJK" in n), None)


def figure_rc(lang: str | None = None) -> tuple[str, Any]:
    """The language a figure can be labelled in, and matplotlib rc settings for it.

    Chinese needs a CJK font; when none is installed the labels fall back to English,
    with a one-line warning on stderr (once per process), never to boxes of missing
    glyphs. Use as ``with matplotlib.rc_context(rc): ...`` and ``with use_lang(lang):``.
    """
    lang = normalize(lang) if lang is not None else get_lang()
    if lang == "en":
        return "en", {}
    family = cjk_font()
    if family is None:
        if not _warned:
            _warned.append(True)
            print(_("diffexplain: warning: no CJK font found by matplotlib, even after "
                    "rebuilding its font list; figure labels are in English. Install one, "
                    "e.g. fonts-noto-cjk (Debian, Ubuntu), google-noto-sans-cjk-fonts "
                    "(Fedora) or noto-fonts-cjk (Arch)"),
                  file=sys.stderr)
        return "en", {}
    # DejaVu Sans first keeps Latin letters, digits and math symbols as in English figures;
    # matplotlib falls back glyph by glyph to the CJK font for Chinese characters
    return lang, {"font.family": ["DejaVu Sans", family]}


# --- the terms of the notes -------------------------------------------------------------------
#: (English term, Chinese term, regex of the English term in a message): every translated
#: message whose English matches the regex must use the Chinese term (tests/test_i18n.py);
#: docs/glossary.md and docs/glossary.zh.md explain them.
GLOSSARY: tuple[tuple[str, str, str], ...] = (
    ("computational graph", "计算图", r"(?i)\bcomputational graph\b"),
    ("leaf (is_leaf)", "叶子节点", r"(?i)\bleaf\b|\bleaves\b(?! out)"),
    ("chain rule", "链式法则", r"(?i)\bchain rule\b"),
    ("gradient", "梯度", r"(?i)\bgradients?\b(?!=)"),
    ("backward pass (backpropagation)", "反向传播", r"(?i)\bbackward pass(es)?\b"),
    ("forward pass", "前向传播", r"(?i)\bforward pass\b"),
    ("gradient accumulation", "梯度累加", r"(?i)\bgradients accumulate\b"),
    ("zeroing gradients (zero_grad)", "梯度清零", r"(?i)\bzero them\b|\bzeroed after each\b"),
    ("in-place operation", "原地操作", r"(?i)\bin-place\b"),
    ("higher-order derivative", "高阶导数", r"(?i)\bhigher[- ]order\b"),
    ("logistic regression", "对数几率回归", r"(?i)\blogistic regression\b"),
    ("finite differences", "有限差分", r"(?i)\bfinite[- ]differences?\b"),
)


def rule_text(rule: str) -> str:
    """A differentiation rule's name from the function table in the current language.

    The table (:mod:`diffexplain.core.functions`) marks its rules with :func:`N_`; the chain-rule
    entries are one template with the function's derivative filled in.
    """
    head = "chain rule, d/du "
    if rule.startswith(head):
        return _("chain rule, d/du {derivative}").format(derivative=rule[len(head):])
    return _(rule)


def in_figure_lang(fn: F) -> F:
    """A drawing of an explanation labelled in its language, with a font that has the glyphs.

    Without a CJK font the labels fall back to English (see :func:`figure_rc`).
    """

    @functools.wraps(fn)
    def wrapper(e: Any, *args: Any, **kwargs: Any) -> Any:
        lang, rc = figure_rc(getattr(e, "lang", None))  # no ``lang``: the current language
        if not rc:
            with use_lang(lang):
                return fn(e, *args, **kwargs)
        import matplotlib

        with use_lang(lang), matplotlib.rc_context(rc):
            return fn(e, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
