"""SASL for SMTP AUTH: the XOAUTH2 and OAUTHBEARER strings, the server's JSON error, the
choice of mechanism."""

from __future__ import annotations

import base64
import json

import pytest

from mailtui.sasl import (
    NoCommonMechanism,
    choose_mechanism,
    oauthbearer_response,
    parse_bearer_error,
    xoauth2_response,
)

USER = "john@example.com"


def test_xoauth2_initial_response_is_googles_format():
    assert xoauth2_response(USER, "ya29.tok") == (
        b"user=john@example.com\x01auth=Bearer ya29.tok\x01\x01"
    )


def test_oauthbearer_initial_response_has_the_gs2_header_and_pairs():
    assert oauthbearer_response("a,b=c@x.org", "tok", "smtp.x.org", 587) == (
        b"n,a=a=2Cb=3Dc@x.org,\x01host=smtp.x.org\x01port=587\x01auth=Bearer tok\x01\x01"
    )
    assert oauthbearer_response(USER, "tok") == b"n,a=john@example.com,\x01auth=Bearer tok\x01\x01"


def test_the_servers_json_error_is_read_in_base64_or_decoded():
    body = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})
    for challenge in (base64.b64encode(body.encode()), body.encode()):
        error = parse_bearer_error(challenge)
        assert error is not None and error.status == "401" and error.token_rejected
        assert error.scope == "https://mail.google.com/"
    assert parse_bearer_error(b"not json at all") is None
    assert parse_bearer_error(base64.b64encode(b"[1, 2]")) is None


@pytest.mark.parametrize(
    ("offered", "has_oauth", "chosen"),
    [
        (["plain", "login", "xoauth2", "oauthbearer"], True, "oauthbearer"),
        (["plain", "login", "xoauth2"], True, "xoauth2"),
        (["login", "plain", "cram-md5", "xoauth2"], False, "cram-md5"),
        (["login", "plain"], False, "plain"),
        (["login"], False, "login"),
    ],
)
def test_auto_picks_the_strongest_the_profile_can_do(offered, has_oauth, chosen):
    assert choose_mechanism("auto", offered, has_oauth=has_oauth) == chosen


def test_no_common_mechanism_says_what_to_do():
    with pytest.raises(NoCommonMechanism, match="offers only OAuth2") as caught:
        choose_mechanism("auto", ["xoauth2"], has_oauth=False)
    assert "mailtui auth login" in caught.value.hint
    with pytest.raises(NoCommonMechanism, match="no OAuth2 mechanism"):
        choose_mechanism("auto", ["plain", "login"], has_oauth=True)
    with pytest.raises(NoCommonMechanism, match="offers only: PLAIN"):
        choose_mechanism("xoauth2", ["plain"], has_oauth=True)
    with pytest.raises(NoCommonMechanism, match="needs an \\[oauth2\\] table"):
        choose_mechanism("xoauth2", ["xoauth2"], has_oauth=False)
    assert choose_mechanism("LOGIN", ["plain", "login"], has_oauth=False) == "login"
