"""The portal's two languages, Simplified Chinese and English: which one a request gets, and
the gettext message catalogues every word of the portal goes through.

English is the source language: each message is written in English in a template
(``{% trans %}``, ``_()``) or in the web layer (:func:`gettext`, :func:`N_`), and extracted
into ``locale/messages.pot`` (``babel.cfg`` at the repository root says where to look). Each
language has its catalogue, ``locale/<locale>/LC_MESSAGES/messages.po``; the Chinese one
translates every message, the English one may override a wording (an empty translation shows
the source text). A catalogue is compiled in memory with Babel the first time its language is
used, so there is no ``.mo`` file to build, ship or forget.

A request's language is, in order: the switch (``?lang=zh-CN`` or ``?lang=en``, remembered in
the ``sc_lang`` cookie), that cookie, the best match in ``Accept-Language`` (any ``zh`` is
Simplified Chinese), else English. The language in use is held in a context variable for the
request (:func:`using`), so that the web layer's own messages follow it.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from starlette.responses import Response

__all__ = [
    "COOKIE",
    "DEFAULT",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Language",
    "choose",
    "current",
    "gettext",
    "ngettext",
    "remember",
    "switch_links",
    "translations",
    "using",
]

#: Where the catalogues live: ``messages.pot`` and ``<locale>/LC_MESSAGES/messages.po``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: The cookie that remembers the switch, and the query parameter of the switch.
COOKIE = "sc_lang"
QUERY = "lang"
_COOKIE_AGE = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Language:
    """One language of the portal: its catalogue's locale, its BCP 47 tag (``<html lang>``,
    ``?lang=``) and its own name (the switch's link text)."""

    locale: str
    tag: str
    name: str


#: The portal's languages, by catalogue locale; the first is the default.
LANGUAGES = {
    "en": Language("en", "en", "English"),
    "zh_CN": Language("zh_CN", "zh-CN", "中文"),
}
DEFAULT = "en"
_BY_TAG = {language.tag.lower(): language.locale for language in LANGUAGES.values()}
_current: ContextVar[str] = ContextVar("socialcredit_web_locale", default=DEFAULT)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The catalogue of ``locale`` (a key of :data:`LANGUAGES`), compiled in memory from its
    ``.po`` file once per process; fuzzy entries are left out (they show the English)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def current() -> Language:
    """The language of the request being served (English outside a request)."""
    return LANGUAGES[_current.get()]


def gettext(message: str) -> str:
    """``message`` (English, the source) in the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for ``count``, in the current language."""
    return translations(_current.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet: a constant defined at import
    time, translated with :func:`gettext` (``_()`` in a template) where it is shown."""
    return message


@contextmanager
def using(locale: str) -> Iterator[Language]:
    """Serve in ``locale`` within the block (the web layer's messages and the templates)."""
    token = _current.set(locale if locale in LANGUAGES else DEFAULT)
    try:
        yield current()
    finally:
        _current.reset(token)


def _from_tag(tag: str) -> str | None:
    """The catalogue for a language tag: any Chinese is Simplified Chinese, any English
    English, and nothing for the rest."""
    tag = tag.strip().lower().replace("_", "-")
    if tag in _BY_TAG:
        return _BY_TAG[tag]
    primary = tag.split("-", 1)[0]
    return {"zh": "zh_CN", "en": "en"}.get(primary)


def _accepted(header: str) -> str | None:
    """The best language of an ``Accept-Language`` header we have, by its weights (the
    first listed wins a tie); None when none of them is ours."""
    ranked: list[tuple[float, int, str]] = []
    for order, item in enumerate(header.split(",")):
        tag, _, params = item.partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        locale = _from_tag(tag)
        if locale is not None and weight > 0:
            ranked.append((-weight, order, locale))
    return min(ranked)[2] if ranked else None


def choose(request: Request) -> str:
    """The catalogue locale for ``request``: the switch, the cookie, ``Accept-Language``,
    else English."""
    for asked in (request.query_params.get(QUERY), request.cookies.get(COOKIE)):
        if asked and (locale := _from_tag(asked)) in LANGUAGES:
            return locale
    return _accepted(request.headers.get("accept-language", "")) or DEFAULT


def remember(request: Request, response: Response) -> None:
    """Keep the language chosen with the switch (``?lang=``) in the ``sc_lang`` cookie."""
    asked = request.query_params.get(QUERY)
    locale = _from_tag(asked) if asked else None
    if locale in LANGUAGES:
        response.set_cookie(
            COOKIE,
            LANGUAGES[locale].tag,
            max_age=_COOKIE_AGE,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def switch_links(request: Request) -> list[tuple[Language, str]]:
    """Each language with the address of this page in it (the other query values kept); after
    a form was sent (which cannot be repeated by a link), the front page in it."""
    path = request.url.path if request.method in ("GET", "HEAD") else "/"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != QUERY]
    return [
        (language, f"{path}?{urlencode([*kept, (QUERY, language.tag)])}")
        for language in LANGUAGES.values()
    ]
