"""The words of a notice, in the reader's language (Simplified Chinese or English).

A notice's content is language-neutral (:mod:`.model`); this module turns it into a subject
line and paragraphs through the ``notices`` gettext domain, whose catalogues are
``locale/<locale>/LC_MESSAGES/notices.po`` beside this module (compiled in memory with Babel on
first use, as the portal's are). English is the source language; Chinese translates every
message. Codes (record kinds, lists, measures, services) and legal bases are shown as written.

Update the catalogues after changing a message (docs/notices.md)::

    pybabel extract -F socialcredit/notices/babel.cfg --no-location --omit-header \
        -o socialcredit/notices/locale/notices.pot .
    pybabel update -D notices -i socialcredit/notices/locale/notices.pot \
        -d socialcredit/notices/locale
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from ._model import Notice

__all__ = [
    "LOCALES",
    "LOCALE_DIR",
    "Reason",
    "Rendered",
    "locale_of",
    "page_texts",
    "render",
    "translations",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "notices"
#: Catalogue locale by language tag.
LOCALES = {"en": "en", "zh-CN": "zh_CN"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is used."""
    return message


SUBJECT_LINES = {
    "listing_noticed": N_("Advance notice: you are to be placed on the list %(list)s"),
    "adverse_decision": N_("A service was refused to you: %(service)s"),
    "dispute_deadlines": N_("Your dispute %(dispute)s: the deadlines"),
    "dispute_overdue": N_("Your dispute %(dispute)s was not decided in time"),
    "record_recertified": N_("Record %(record)s counts again"),
    "repair_outcome": N_("The outcome of your credit repair application"),
}
BODIES = {
    "listing_noticed": N_(
        "On %(noticed)s the records %(records)s put you on notice for the list %(list)s. "
        "The listing takes effect on %(effective)s unless it is ended before then, and it "
        "ends at the latest on %(until)s."
    ),
    "adverse_decision": N_(
        "On %(day)s the service %(service)s was refused to you (decision %(decision)s), "
        "because of the measures %(measures)s."
    ),
    "dispute_deadlines": N_(
        "Your dispute %(dispute)s about record %(record)s was opened on %(opened)s. It must "
        "be acknowledged by %(acknowledge_by)s and decided by %(decide_by)s. If it is not "
        "decided in time, the record stops counting until it is."
    ),
    "dispute_overdue": N_(
        "Your dispute %(dispute)s about record %(record)s was to be decided by "
        "%(decide_by)s. It was not, so the record is suspended: it counts neither for your "
        "score nor for any list until the dispute is decided."
    ),
    "record_recertified": N_(
        "Record %(record)s (%(record_kind)s) had been deleted. On %(day)s its source "
        "%(by)s certified it as accurate, so it counts again."
    ),
    "repair_outcome": N_("Your application %(application)s was decided on %(day)s: %(outcome)s."),
}
REASON = N_("Measure %(measure)s of the list %(list)s, on records %(records)s.")
#: Shown before a legal basis, which is the registry's text and is shown as written.
BASIS = N_("Legal basis:")
RECOURSE = {
    "dispute_record": N_("You may dispute the records %(records)s if they are wrong."),
    "perform_obligation": N_(
        "Perform the obligation (%(kinds)s on record) and the listing on %(list)s is removed "
        "within %(days)s working days."
    ),
    "apply_restoration": N_(
        "After correcting the conduct, you may apply for early removal from %(list)s "
        "%(after_days)s days after the listing took effect."
    ),
    "hardship": N_(
        "If you cannot pay (as opposed to will not pay), ask for hardship to be recorded: the "
        "restrictions of %(list)s are frozen while it lasts."
    ),
    "listing_ends": N_("The listing on %(list)s ends at the latest on %(until)s."),
    "human_review": N_("You may ask for the decision to be reviewed by a person."),
}
HEADINGS = {
    "reasons": N_("Reasons:"),
    "recourse": N_("What you can do:"),
    "footer": N_(
        "Notice %(notice)s. Every notice about you is kept in your file: log in to the "
        "portal and open My notices."
    ),
    "open": N_("open-ended"),
}
#: The words of the portal's notices page (the portal's frame is translated by its own
#: catalogue; these stay with the notices they describe).
PAGE = {
    "title": N_("My notices"),
    "intro": N_(
        "Every notice the system owes you, newest first: advance notice of a listing, a "
        "service refused, the deadlines of your disputes, a record that came back. Each is "
        "kept here whether or not it reached you by e-mail."
    ),
    "none": N_("There are no notices for you."),
    "delivered": N_("Sent by e-mail on %(day)s."),
    "pending": N_("Waiting to be sent by e-mail."),
    "retrying": N_("Not sent yet: %(attempts)s attempts failed; it will be tried again."),
    "failed": N_("Could not be sent by e-mail after %(attempts)s attempts."),
    "no_address": N_("Shown here only: you have not registered an e-mail address."),
    "issued": N_("Issued on %(day)s"),
    "contact": N_("Notices by e-mail"),
    "contact_now": N_("Notices are sent to %(address)s in %(language)s."),
    "contact_none": N_(
        "Register an e-mail address to receive every notice by e-mail as well. You can "
        "remove it at any time; it is kept outside the ledger."
    ),
    "address": N_("E-mail address"),
    "language": N_("Language of the e-mails"),
    "save": N_("Register the address"),
    "remove": N_("Remove my address"),
    "saved": N_("Your address is registered."),
    "removed": N_("Your address is removed."),
    "en": N_("English"),
    "zh-CN": N_("Simplified Chinese"),
}


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The ``notices`` catalogue of ``locale`` (``en`` or ``zh_CN``), compiled in memory once
    per process; fuzzy entries are left out."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalogue = read_po(source, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def locale_of(language: str | None) -> str:
    """The catalogue locale of a language tag or locale (``zh-CN``, ``zh_CN``, any ``zh``:
    Chinese); English otherwise."""
    text = (language or "").replace("_", "-").lower()
    return "zh_CN" if text.startswith("zh") else "en"


class Reason(NamedTuple):
    """One reason of a decision in words, and its legal basis as written."""

    text: str
    basis: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A notice in words: subject line, body, reasons, recourse and footer."""

    notice: str
    kind: str
    locale: str
    subject_line: str
    body: str
    reasons: tuple[Reason, ...]
    recourse: tuple[str, ...]
    footer: str

    def text(self) -> str:
        """The whole notice as plain text (the e-mail's body)."""
        t = translations(self.locale).gettext
        parts = [self.body]
        if self.reasons:
            lines = [f"- {r.text} {t(BASIS)} {r.basis}" for r in self.reasons]
            parts.append(t(HEADINGS["reasons"]) + "\n" + "\n".join(lines))
        if self.recourse:
            parts.append(
                t(HEADINGS["recourse"]) + "\n" + "\n".join(f"- {r}" for r in self.recourse)
            )
        parts.append(self.footer)
        return "\n\n".join(parts) + "\n"


def _records(positions: Sequence[Any]) -> str:
    return ", ".join(f"#{p}" for p in positions) or "-"


def _values(content: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The content's values as the messages' placeholders want them."""
    t = translations(locale).gettext
    out: dict[str, Any] = {k: v for k, v in content.items() if not isinstance(v, list | dict)}
    for key in ("grounds", "records"):
        if key in content:
            out["records"] = _records(content[key])
    if "measures" in content:
        out["measures"] = ", ".join(content["measures"]) or "-"
    if "kinds" in content:
        out["kinds"] = ", ".join(content["kinds"])
    if out.get("until") is None and "until" in content:
        out["until"] = t(HEADINGS["open"])
    if "record" in content:
        out["record"] = f"#{content['record']}"
    if "decision" in content:
        out["decision"] = f"#{content['decision']}"
    return out


def _format(message: str, values: Mapping[str, Any], locale: str) -> str:
    text: str = translations(locale).gettext(message)
    return text % _Defaulting(values)


class _Defaulting(dict[str, Any]):
    """Placeholder values where a missing one shows as ``-`` (old content, new message)."""

    def __missing__(self, key: str) -> str:
        return "-"


def render(notice: Notice, locale: str) -> Rendered:
    """``notice`` in words, in ``locale`` (``en`` or ``zh_CN``; anything else: English)."""
    locale = locale if locale in LOCALES.values() else "en"
    values = _values(notice.content, locale)
    reasons = tuple(
        Reason(_format(REASON, {"measure": r.get("measure"), "list": r.get("list"),
                                "records": _records(r.get("grounds", ()))}, locale),
               str(r.get("legal_basis") or "-"))
        for r in notice.content.get("reasons", ())
    )  # fmt: skip
    recourse = tuple(
        _format(RECOURSE[r["code"]], _values(r, locale), locale)
        for r in notice.content.get("recourse", ())
        if r.get("code") in RECOURSE
    )
    return Rendered(
        notice.id, notice.kind, locale,
        _format(SUBJECT_LINES[notice.kind], values, locale),
        _format(BODIES[notice.kind], values, locale),
        reasons, recourse,
        _format(HEADINGS["footer"], {"notice": notice.id}, locale),
    )  # fmt: skip


def page_texts(locale: str) -> dict[str, str]:
    """The notices page's words in ``locale`` (placeholders left for the page to fill)."""
    t = translations(locale if locale in LOCALES.values() else "en").gettext
    found = {key: t(message) for key, message in PAGE.items()}
    found.update(reasons=t(HEADINGS["reasons"]), recourse=t(HEADINGS["recourse"]), basis=t(BASIS))
    return found
