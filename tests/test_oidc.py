"""Single sign-on against a small OpenID Connect provider that runs in the test (a real HTTP
server with discovery, an authorization endpoint, a token endpoint checking PKCE, and JWKS),
and ID tokens that must be refused: wrong audience, expired, another sign-in's nonce, signed
with an unknown key, an email nobody has."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from scheduler import oidc
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.interchange import import_data
from scheduler.web import create_app
from tests.test_reminders import ACTOR

HTML = {"accept": "text/html"}


class Provider:
    """The identity provider: signs in `user` without asking, and issues what it is told."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user = "j.jansen@example.nl"
        self.claims: dict[str, Any] = {}  # laid over the ID token's claims
        self.sign_with: Any = self.key
        self.codes: dict[str, dict[str, str]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def id_token(self, request: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url, "aud": "lobby-agenda", "sub": "u-123", "email": self.user,
            "email_verified": True, "nonce": request["nonce"], "iat": now, "exp": now + 300,
        } | self.claims  # fmt: skip
        return jwt.encode(claims, self.sign_with, algorithm="RS256", headers={"kid": "k1"})

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, {
                        "issuer": provider.url, "authorization_endpoint": f"{provider.url}/authorize",
                        "token_endpoint": f"{provider.url}/token", "jwks_uri": f"{provider.url}/jwks",
                    })  # fmt: skip
                elif url.path == "/jwks":
                    self._json(200, provider.jwks())
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = f"code-{len(provider.codes)}"
                    provider.codes[code] = query
                    back = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("location", back)
                    self.end_headers()
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                request = provider.codes.pop(form.get("code", ""), None)
                secret = base64.b64encode(b"lobby-agenda:s3cret").decode()
                challenge = (
                    base64.urlsafe_b64encode(
                        hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    )
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    request is None
                    or self.headers.get("authorization") != f"Basic {secret}"
                    or challenge != request["code_challenge"]
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(200, {"id_token": provider.id_token(request), "token_type": "Bearer"})

        return Handler


@pytest.fixture
def provider() -> Iterator[Provider]:
    running = Provider()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    oidc.forget_provider_metadata()
    yield running
    running.server.shutdown()
    oidc.forget_provider_metadata()


@pytest.fixture
def client(sqlite_db: Database, provider: Provider) -> Iterator[TestClient]:
    people = [{"email": "j.jansen@example.nl", "name": "Joost Jansen", "roles": ["lobbyist"]},
              {"email": "old@example.nl", "name": "Oud", "active": False}]  # fmt: skip
    import_data(sqlite_db, {"people": people}, "people", ACTOR)
    settings = Settings(
        database_url=sqlite_db.url, public_url="https://lobby.example", oidc_issuer=provider.url,
        oidc_client_id="lobby-agenda", oidc_client_secret="s3cret",
    )  # fmt: skip
    with TestClient(create_app(settings, run_jobs=False), base_url="https://lobby.example") as c:
        yield c


def sign_on(client: TestClient) -> httpx.Response:
    """Start at /login/oidc, let the provider answer, come back to the callback."""
    started = client.get("/login/oidc", follow_redirects=False)
    assert started.status_code == 302
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    back = urlparse(at_provider.headers["location"])
    assert back.netloc == "lobby.example" and back.path == "/login/oidc/callback"
    return client.get(f"{back.path}?{back.query}", headers=HTML, follow_redirects=False)


def test_a_colleague_signs_on_with_the_municipalitys_provider(client: TestClient) -> None:
    assert "Inloggen met je werkaccount" in client.get("/login", headers=HTML).text
    answer = sign_on(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/agenda"
    page = client.get("/agenda", headers=HTML)
    assert page.status_code == 200 and "Ingelogd als Joost Jansen" in page.text


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "someone-else"}, "Audience doesn"),
        ({"exp": int(time.time()) - 3600}, "Signature has expired"),
        ({"nonce": "another-sign-in"}, "another sign-in"),
        ({"iss": "https://evil.example"}, "Invalid issuer"),
        ({"email": "nobody@example.nl"}, "heeft geen toegang"),
        ({"email": "old@example.nl"}, "heeft geen toegang"),
        ({"email_verified": False}, "niet bevestigd"),
    ],
)
def test_an_id_token_that_does_not_hold_signs_nobody_in(
    client: TestClient, provider: Provider, claims: dict[str, Any], message: str
) -> None:
    provider.claims = claims
    answer = sign_on(client)
    assert answer.status_code in (401, 403) and message in answer.text
    assert client.get("/agenda", headers=HTML).status_code == 401


def test_a_token_signed_with_another_key_is_refused(client: TestClient, provider: Provider) -> None:
    provider.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = sign_on(client)
    assert answer.status_code == 401 and "Signature verification failed" in answer.text


def test_a_callback_that_did_not_start_here_is_refused(client: TestClient) -> None:
    forged = client.get("/login/oidc/callback?code=code-0&state=guess", headers=HTML)
    assert forged.status_code == 401 and "did not start here" in forged.text
    denied = client.get("/login/oidc/callback?error=access_denied", headers=HTML)
    assert denied.status_code == 401 and "access_denied" in denied.text


def test_without_a_provider_there_is_no_sign_on(sqlite_db: Database) -> None:
    with TestClient(create_app(Settings(database_url=sqlite_db.url), run_jobs=False)) as c:
        assert c.get("/login/oidc").status_code == 404
        assert "werkaccount" not in c.get("/login", headers=HTML).text
