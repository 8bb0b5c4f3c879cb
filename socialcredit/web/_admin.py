"""The administrator's page: upload a policy bundle (with its detached ``signatures.yaml``),
see the load-time check report and the diff against the bundle in force, and publish it if it
passes; a governed publication refused lists every reason, and one accepted says whether it is
in force or pending until its date.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from ..errors import Problem
from ..policy import PolicyError, RevisionStatus
from . import _access
from ._access import Principal, Role
from ._i18n import gettext as _
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ADMIN = _access.signed_in(Role.ADMIN)

#: Largest file accepted in an upload (policy files are a few kilobytes).
MAX_FILE_BYTES = 1_000_000


@router.get("/admin/policy", response_class=HTMLResponse)
def policy_form(request: Request, who: Principal = _ADMIN) -> Response:
    """The upload form, with the bundle in force for reference."""
    return _form(request, who)


def _form(request: Request, who: Principal, status: int = 200, **values: Any) -> Response:
    in_force = _access.system_of(request).in_force()
    return render(request, who, "admin_policy.html", status, in_force=in_force, **values)


@router.post("/admin/policy", response_class=HTMLResponse)
def policy_upload(
    request: Request,
    files: Annotated[list[UploadFile], File()],
    publish_it: Annotated[str, Form(alias="publish")] = "",
    who: Principal = _ADMIN,
) -> Response:
    """Check the uploaded files as one bundle; publish it if asked and it passes."""
    contents, problems = _contents(files)
    return _checked(request, who, contents, problems, publish_it == "yes")


@router.post("/admin/policy/publish", response_class=HTMLResponse)
def policy_publish(
    request: Request,
    bundle_files: Annotated[list[str], Form()],
    who: Principal = _ADMIN,
) -> Response:
    """Publish a bundle that passed its check on this page: the checked files come back as
    the form's hidden fields (``name:base64``) and go through every check again."""
    contents, problems = _carried(bundle_files)
    return _checked(request, who, contents, problems, True)


def _checked(
    request: Request,
    who: Principal,
    contents: dict[str, bytes],
    problems: list[Problem],
    publish_it: bool,
) -> Response:
    """The check report of ``contents`` as one bundle (published if ``publish_it`` and it
    passes every check, signatures, notice period and assessment included)."""
    names = sorted(contents)
    carried = [f"{name}:{base64.b64encode(data).decode()}" for name, data in contents.items()]
    system = _access.system_of(request)
    try:
        if problems:
            raise PolicyError("upload refused", problems)
        checked = system.check_policy(contents)
    except PolicyError as error:
        return _form(request, who, 422, names=names, problems=error.problems)
    published: RevisionStatus | None = None
    try:
        if publish_it:
            published = system.publish_policy(checked.bundle, checked.signatures)
    except PolicyError as error:
        problems = list(error.problems)
    values: dict[str, Any] = {
        "names": names,
        "bundle": checked.bundle,
        "changes": checked.changes,
        "carried": None if published else carried,
        "label_warnings": checked.warnings,
    }
    if problems:
        return _form(request, who, 422, problems=problems, **values)
    signatures = checked.signatures.signatures
    return _form(request, who, published=published, signatures=signatures, **values)


def _carried(fields: list[str]) -> tuple[dict[str, bytes], list[Problem]]:
    """The files a publish form carries back (``name:base64`` each), and a problem for each
    field that is not one."""
    contents: dict[str, bytes] = {}
    problems = []
    for field in fields:
        name, _sep, data = field.partition(":")
        try:
            decoded = base64.b64decode(data, validate=True)
        except ValueError:
            problems.append(Problem(name or "bundle_files", _("not a file carried by this page")))
            continue
        if len(decoded) > MAX_FILE_BYTES:
            problems.append(Problem(name, _too_large()))
        contents[name.rsplit("/", 1)[-1]] = decoded
    if not contents:
        problems.append(Problem("bundle_files", _("no file to publish: check the bundle first")))
    return contents, problems


def _contents(files: list[UploadFile]) -> tuple[dict[str, bytes], list[Problem]]:
    """The uploaded files by name, and a problem for each one that is too large."""
    contents: dict[str, bytes] = {}
    problems = []
    for item in files:
        if not item.filename:
            continue
        data = item.file.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problems.append(Problem(item.filename, _too_large()))
        contents[item.filename.rsplit("/", 1)[-1]] = data
    if not contents:
        problems.append(
            Problem("files", _("choose the bundle's files (manifest.yaml and the rest)"))
        )
    return contents, problems


def _too_large() -> str:
    """The problem of a file over :data:`MAX_FILE_BYTES`, in the current language."""
    return _("larger than %(limit)d bytes") % {"limit": MAX_FILE_BYTES}
