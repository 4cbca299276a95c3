"""Single sign-on with OpenID Connect (authorization code flow with PKCE), for municipalities
with an identity provider: the provider says who signs in, the agenda's people table says
whether they may (an active person with that email).

The ID token is checked as OpenID Connect Core §3.1.3.7 asks: signature with a key from the
provider's JWKS, issuer, audience, expiry, and the nonce of this sign-in. PyJWT does the JOSE.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from scheduler.errors import Forbidden, LobbyError

TIMEOUT = 10.0
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


class SignOnFailed(LobbyError):
    """The provider's answer cannot be trusted or used; the message says why."""

    status = 401

    def __init__(self, message: str) -> None:
        # The provider's reason is technical, not ours to translate: it goes along as it is.
        super().__init__(message, key="sign_on_failed", params={"detail": message})


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: str = "openid email profile"
    email_claim: str = "email"


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and what to keep (in a short cookie) until it returns."""

    url: str
    state: str
    nonce: str
    verifier: str


@lru_cache(maxsize=4)
def _discovery(issuer: str) -> dict[str, Any]:
    """The provider's metadata (cached for the process: it rarely changes)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = httpx.get(url, timeout=TIMEOUT)
        answer.raise_for_status()
        metadata: dict[str, Any] = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignOnFailed(f"the sign-on provider cannot be reached ({url}): {exc}") from None
    if metadata.get("issuer") != issuer:
        raise SignOnFailed(f"the provider at {url} calls itself {metadata.get('issuer')!r}")
    return metadata


def start(provider: Provider) -> Started:
    """The authorization request: state against forgery, nonce against replay, PKCE."""
    state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code", "client_id": provider.client_id,
        "redirect_uri": provider.redirect_uri, "scope": provider.scopes, "state": state,
        "nonce": nonce, "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }  # fmt: skip
    endpoint = _discovery(provider.issuer)["authorization_endpoint"]
    return Started(f"{endpoint}?{urlencode(query)}", state, nonce, verifier)


def finish(provider: Provider, code: str, nonce: str, verifier: str) -> str:
    """Exchange the code for tokens and return the email the verified ID token names."""
    metadata = _discovery(provider.issuer)
    try:
        answer = httpx.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": provider.redirect_uri, "code_verifier": verifier,
            },
            auth=(provider.client_id, provider.client_secret),
            timeout=TIMEOUT,
        )  # fmt: skip
        answer.raise_for_status()
        id_token = str(answer.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SignOnFailed(f"the provider did not give an ID token: {exc}") from None
    claims = verify(provider, id_token, nonce, metadata["jwks_uri"])
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise SignOnFailed(f"the ID token has no email in claim {provider.email_claim!r}")
    if claims.get("email_verified") is False:
        raise Forbidden(
            "the provider has not verified this email address", key="email_not_verified"
        )
    return email.lower()


def verify(provider: Provider, id_token: str, nonce: str, jwks_uri: str) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    try:
        key = _keys(jwks_uri).get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token, key.key, algorithms=ALGORITHMS, audience=provider.client_id,
            issuer=provider.issuer, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=60,
        )  # fmt: skip
    except jwt.PyJWTError as exc:
        raise SignOnFailed(f"the ID token was refused: {exc}") from None
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignOnFailed("the ID token belongs to another sign-in (nonce)")
    return claims


@lru_cache(maxsize=4)
def _keys(jwks_uri: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=int(TIMEOUT))


def forget_provider_metadata() -> None:
    """For tests and key rotation: fetch discovery and keys afresh."""
    _discovery.cache_clear()
    _keys.cache_clear()
