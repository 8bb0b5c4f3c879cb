"""The admin's accounts page: make a key (shown once), refuse a bad one keeping what was typed,
rotate a key (the old one stops working), revoke one — each checked against the API itself."""

from __future__ import annotations

import re

import httpx

from .conftest import Portal
from .test_pages import csrf_of, logged_in


def _me(portal: Portal, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{portal.url}/api/v1/me", headers=headers).status_code


def _new_key(page: str) -> str:
    found = re.search(r'id="new-key">(sck_[^<]+)<', page)
    assert found is not None, "no new key on the page"
    return found.group(1)


def _key_id(key: str) -> str:
    return key.split("_")[1]


def test_make_rotate_and_revoke_a_key(portal: Portal) -> None:
    with logged_in(portal, "admin") as admin:
        page = admin.get("/admin/accounts").text
        assert "demo-officer" in page and 'id="accounts"' in page
        made = admin.post("/admin/accounts/keys", data={
            "csrf_token": csrf_of(page), "role": "source", "name": "court:page-made",
            "kinds": ["debtor_refuses_to_perform"]})  # fmt: skip
        assert made.status_code == 200, made.text
        key = _new_key(made.text)
        assert "shown only this once" in made.text and _me(portal, key) == 200
        assert key not in admin.get("/admin/accounts").text  # never again

        rotated = admin.post(f"/admin/accounts/keys/{_key_id(key)}/rotate",
                             data={"csrf_token": csrf_of(made.text)})  # fmt: skip
        fresh = _new_key(rotated.text)
        assert fresh != key and _me(portal, fresh) == 200 and _me(portal, key) == 401

        revoked = admin.post(f"/admin/accounts/keys/{_key_id(fresh)}/revoke",
                             data={"csrf_token": csrf_of(rotated.text)})  # fmt: skip
        assert revoked.status_code == 200 and _me(portal, fresh) == 401


def test_a_refused_key_names_the_field_and_keeps_what_was_typed(portal: Portal) -> None:
    with logged_in(portal, "admin") as admin:
        page = admin.get("/admin/accounts").text
        refused = admin.post("/admin/accounts/keys", data={
            "csrf_token": csrf_of(page), "role": "officer", "name": " padded name"})  # fmt: skip
        assert refused.status_code == 422
        assert "No key was made" in refused.text and "<code>name</code>" in refused.text
        assert 'value=" padded name"' in refused.text
        assert re.search(r'id="key-name"[^>]*aria-invalid="true"', refused.text)


def test_only_the_admin_opens_it(portal: Portal) -> None:
    with logged_in(portal, "officer") as officer:
        assert officer.get("/admin/accounts").status_code == 403
