"""The portal: server-rendered pages over the library, for the public and for each role.

``router`` is a FastAPI router that the HTTP API's app (:func:`socialcredit.server.create_app`)
mounts at ``/``; the app also serves ``static/`` at ``/static``. Pages are plain HTML from
Jinja2 templates with one small stylesheet and server-drawn SVG charts: they work without
JavaScript and without any network beyond this server.

Pages (role in brackets; docs/portal.md has the full table):

- ``/``, ``/search``, ``/org/{n}``, ``/org/{n}/report.pdf``, ``/lists/{id}``, ``/policy``,
  ``/policy/{revision}`` (anyone: masked identifiers only);
- ``/memoranda`` (anyone: the joint memoranda in force);
- ``/login``, ``/logout``;
- ``/me``, ``/me/proof/{position}``, ``/me/export``, ``/me/report.pdf`` and the dispute,
  statement and appeal forms, ``/me/notices`` and its address form (subject: their own file
  only);
- ``/source`` (source: file a record or upload a file, every refusal row by row);
- ``/check`` (service point: decisions, never records);
- ``/officer/disputes[/{id}]``, ``/officer/appeals[/{id}]`` (officer, appeal officer);
- ``/me/repair/{position}`` (subject: credit repair of their penalty, its conditions, apply,
  appeal) and ``/officer/repairs[/{id}]`` (officer, appeal officer: queue and decisions);
- ``/audit``, ``/audit/verify`` (auditor: hashes and checkpoints, no personal data);
- ``/admin/policy`` (admin: upload, check report, diff, publish), ``/admin/accounts``
  (admin: keys and users; make, revoke and rotate keys).

Library errors raised by a page are shown as an HTML page with the same code and message the
API uses; a page that needs a login redirects to ``/login``.
"""

from ._pages import router
from ._routing import install_page_errors

__all__ = [
    "install_page_errors",
    "router",
]
