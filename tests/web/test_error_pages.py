"""Every error a portal visitor meets is a page inside the site's frame — a 404 for an unknown
page, a 403 for a page of another role, a bad value in the address — never raw JSON; API paths
keep the one JSON error shape. (Issue 18: ``/admin/accounts`` answered a JSON 404, and 403 and
404 pages dropped the frame.)"""

from __future__ import annotations

import httpx
import pytest

from .conftest import Portal

CASES = [
    # (path, status, what the page says)
    ("/no/such/page", 404, "There is no such page"),
    ("/admin/nothing-here", 404, "There is no such page"),
    ("/org/not-a-number", 422, "not valid"),
    ("/audit?position=minus-one", 422, "not valid"),
    ("/org/99999999", 404, ""),
]


@pytest.mark.parametrize(("path", "status", "says"), CASES, ids=[c[0] for c in CASES])
def test_an_error_is_a_page_in_the_frame(portal: Portal, path: str, status: int, says: str) -> None:
    response = httpx.get(f"{portal.url}{path}", follow_redirects=False)
    if response.status_code == 303:  # a page that needs a login sends the visitor there first
        assert response.headers["location"].startswith("/login")
        return
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="site"' in response.text and "Published policy" in response.text  # the frame
    assert says in response.text


def test_a_page_of_another_role_is_a_403_page_for_the_logged_in_user(portal: Portal) -> None:
    login = portal.login("subject")
    with httpx.Client(base_url=portal.url) as client:
        form = client.get("/login").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"username": login.username, "password": login.password,
                                    "csrf_token": token})  # fmt: skip
        response = client.get("/audit")
    assert response.status_code == 403
    assert 'class="site"' in response.text and login.username in response.text


def test_api_paths_keep_the_json_error_shape(portal: Portal) -> None:
    response = httpx.get(f"{portal.url}/api/v1/no/such/route")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
