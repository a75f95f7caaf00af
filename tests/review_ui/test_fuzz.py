"""Hostile values in every route's path, query and form fields never make the server fail:
every answer is below 500 and carries the security headers (hypothesis draws the values),
for a user of every role, since each role reaches different code (a refusal, or the work)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.review_ui.conftest import ACCOUNTS, Env, csrf
from tests.review_ui.test_access import app_routes
from tests.review_ui.test_errors import assert_security_headers

HOSTILE = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "\x00", "0:0", "-1:-1", "9" * 400, "1:" + "9" * 30, "../../etc",
                     "%00", "<script>", "NaN", "１２３", "²", "\u202e", "a" * 5000]),
    st.text(max_size=40),
)
# Routes that start work which outlives the request (a training run) or log the user out.
SKIPPED = {("POST", "/models/training"), ("POST", "/logout")}
EXAMPLES_PER_ROUTE = 5
ONE_ACCOUNT_PER_ROLE = sorted({role: name for name, role in ACCOUNTS.items()}.values())
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@pytest.mark.slow
@pytest.mark.parametrize("username", ONE_ACCOUNT_PER_ROLE)
def test_no_route_fails_on_hostile_input(env: Env, username: str) -> None:
    client = env.client(username)
    token = csrf(client)
    targets = [(method, path, route) for method, path, route in app_routes(env)
               if method in ("GET", "POST") and (method, path) not in SKIPPED]

    @settings(max_examples=len(targets) * EXAMPLES_PER_ROUTE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(target=st.sampled_from(targets), value=HOSTILE)
    def one_request(target: tuple, value: str) -> None:
        method, path, route = target
        url = PARAM.sub(lambda _: quote(value, safe="") or "x", path)
        fields = {p.alias: value for p in [*route.dependant.query_params,
                                           *route.dependant.body_params]}
        if method == "GET":
            response = client.get(url, params=fields)
        else:
            response = client.post(url, data={**fields, "csrf_token": token})
        assert response.status_code < 500, (method, url, fields, response.text[:300])
        assert_security_headers(response.headers)

    one_request()
