"""The LTI 1.3 tool on pylti1p3 (pylti1p3next): platforms, the tool's key, and launch
validation made independent of third-party cookies.

An LMS shows the tool in an iframe, where browsers block or partition third-party cookies, so
nothing here depends on a cookie: the OIDC ``state`` and ``nonce`` are written to the shared
:mod:`store` at login and each is *consumed* by the launch that presents it (single use: a
replayed id_token is refused), and the launch is carried from page to page by its random
``launch_id``. What proves a launch is the platform's signature on the id_token (checked
against its JWKS), its issuer, audience (our client_id, and ``azp`` when there are several),
expiry, deployment and that single-use nonce.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import jwt
import requests
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.contrib.flask.launch_data_storage.cache import FlaskCacheDataStorage
from pylti1p3.contrib.flask.service_connector import FlaskServiceConnector
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import (
    LtiException,
    LtiInvalidNonceException,
    LtiKeyException,
    LtiMessageValidationException,
    ToolConfException,
)
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict

from .store import Store, StoreUnavailable

log = logging.getLogger("actfn.lti")

PLATFORMS = "platforms"  # the store's table of dynamically registered platforms (issuer|client_id)
STATE_TTL = 300  # seconds from login to launch
KEY_CACHE_SECONDS = 600  # a platform's JWKS, kept this long (fetched again for an unknown kid)
KEY_REFETCH_SECONDS = 10  # at most one forced JWKS refetch per key-set URL this often
PLATFORM_TIMEOUT = 5  # seconds for connecting to a platform, and for each read of its answer
PLATFORM_DEADLINE = 20  # seconds for a platform's whole answer (checked at each read)
PLATFORM_MAX_PAGES = 20  # pages of a paginated AGS answer (line items) followed at most
PLATFORM_MAX_BYTES = 1 << 20  # the largest answer read from a platform (JWKS, token, AGS, registration)
CLOCK_LEEWAY = 60  # seconds of clock difference allowed on an id_token's exp and iat

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


class LtiError(Exception):
    """A refusal with its HTTP status and a message for the person at the LMS."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class PlatformError(LtiException):
    """A platform's endpoint (JWKS, token, AGS, registration) failed or answered badly: 502."""


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without user info, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.hostname.lower(), port


def is_web_url(value: Any) -> bool:
    return isinstance(value, str) and origin(value) is not None


# ----- the tool's key ---------------------------------------------------------------------------


def _generate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def tool_key(config: dict, store: Store) -> tuple[str, str]:
    """(private PEM, public PEM): ``ACTFN_LTI_PRIVATE_KEY`` (a PEM, or a path to one), else a
    key generated once and shared through the store, so every worker and replica signs with the
    same key and publishes the same JWKS."""
    configured = config.get("LTI_PRIVATE_KEY", "").strip()
    if configured:
        pem = configured if configured.startswith("-----BEGIN") else open(configured, encoding="utf-8").read()
    else:
        store.add("tool-key", _generate_pem())
        pem = store.get("tool-key")
    return pem, _public_pem(pem)


# ----- platforms --------------------------------------------------------------------------------


def load_platforms(config: dict) -> dict[str, list[dict]]:
    """The platforms configured by the operator: ``ACTFN_LTI_PLATFORMS`` (JSON, or a path to a
    JSON file) in pylti1p3's format — issuer → one platform or a list (one per client_id)."""
    raw = config.get("LTI_PLATFORMS", "").strip()
    if not raw:
        return {}
    text = raw if raw.startswith("{") else open(raw, encoding="utf-8").read()
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("ACTFN_LTI_PLATFORMS must be a JSON object: issuer → platform (or list of platforms)")
    return {iss: conf if isinstance(conf, list) else [conf] for iss, conf in data.items()}


class ToolConf(ToolConfDict):
    """pylti1p3's dict configuration over the configured and the registered platforms, with one
    tool key for all of them."""

    def __init__(self, platforms: dict[str, list[dict]], private_pem: str, public_pem: str):
        super().__init__(cast(Any, platforms))
        self.known = platforms
        self._private, self._public = private_pem, public_pem

    def get_private_key(self, iss, client_id=None):
        return self._private

    def get_public_key(self, iss, client_id=None):
        return self._public

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return {"keys": [Registration.get_jwk(self._public)]}

    def _get_deployment(self, iss_conf, deployment_id):
        """A listed deployment id, or any when the list holds "*" (a platform registered
        dynamically without naming its deployment)."""
        if "*" in iss_conf["deployment_ids"] and isinstance(deployment_id, str) and deployment_id:
            return Deployment().set_deployment_id(deployment_id)
        return super()._get_deployment(iss_conf, deployment_id)


# ----- launch storage without cookies -----------------------------------------------------------


class Storage(FlaskCacheDataStorage):
    """pylti1p3's cache storage on :class:`Store`, never keyed by a session cookie."""

    def get_session_cookie_name(self):
        return None

    def pop_value(self, key: str):
        return self._get_cache().pop(self._prepare_key(key))

    def remove_value(self, key: str) -> None:
        self._get_cache().delete(self._prepare_key(key))


class PlatformTooSlowOrLarge(requests.RequestException):
    """A platform's answer over PLATFORM_MAX_BYTES or PLATFORM_DEADLINE (our words, safe to show)."""


class Http(requests.Session):
    """Every call to a platform (JWKS, token, AGS, registration): a timeout per read, a deadline
    for the whole answer, at most PLATFORM_MAX_BYTES read, and no redirect followed."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        deadline = time.monotonic() + PLATFORM_DEADLINE
        response = super().request(method, url, **kwargs)
        body = bytearray()
        try:
            while True:
                # read1: whatever has arrived (at most 64 KiB), so that a platform dribbling
                # bytes meets the deadline, not only a full buffer.
                chunk = response.raw.read1(1 << 16, decode_content=True)
                if not chunk:
                    break
                body += chunk
                if len(body) > PLATFORM_MAX_BYTES:
                    raise PlatformTooSlowOrLarge(f"its answer is over {PLATFORM_MAX_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise PlatformTooSlowOrLarge(f"its answer took over {PLATFORM_DEADLINE} s")
        except PlatformTooSlowOrLarge:
            raise
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as e:  # read timeouts, protocol, decoding
            raise requests.ConnectionError(f"reading the platform's answer failed ({type(e).__name__})") from e
        finally:
            response.close()
        response._content = bytes(body)
        return response


class Connector(FlaskServiceConnector):
    """Service access tokens (client-credentials grant) cached per worker until they expire,
    one per (issuer, client_id, token URL, audience, scopes): two registrations of one issuer
    never share a token."""

    tokens: dict[str, tuple[str, float]] = {}
    lock = threading.Lock()

    def _scope_key(self, scopes):
        reg = self._registration
        parts = (reg.get_issuer(), reg.get_client_id(), reg.get_auth_token_url(), reg.get_auth_audience())
        return hashlib.sha256(json.dumps([[p or "" for p in parts], sorted(scopes)]).encode()).hexdigest()

    def get_paginated_data(self, scopes, url, *args, **kwargs):
        """pylti1p3's pages, at most PLATFORM_MAX_PAGES, and only on the first page's origin
        (a ``Link: next`` elsewhere would receive the access token)."""
        home = origin(url) if isinstance(url, str) else None
        for _page in range(PLATFORM_MAX_PAGES):
            if not url:
                return
            if origin(url) is None or origin(url) != home:
                raise PlatformError("The platform's next page of line items is on another origin")
            response = self.make_service_request(scopes, url, *args, **kwargs)
            yield response
            url = response["next_page_url"]
        if url:
            raise PlatformError(f"The platform's line items run past {PLATFORM_MAX_PAGES} pages")

    def _get_cached_access_token(self, scope_key):
        token, expires = self.tokens.get(scope_key, (None, 0.0))
        return token if expires > time.monotonic() + 5 else None

    def _cache_access_token(self, scope_key, access_token, expires_in):
        if not isinstance(access_token, str) or not access_token:
            raise PlatformError("The platform's token endpoint answered no access_token")
        try:
            lifetime = max(0.0, min(float(expires_in), 24 * 3600.0))
        except (TypeError, ValueError):
            lifetime = 0.0
        with self.lock:
            self.tokens[scope_key] = (access_token, time.monotonic() + lifetime)


class Session(FlaskSessionService):
    """State and nonce are single use and bound together: the login stores the nonce (and the
    target it was asked for) in the state's record, and the launch that presents the state
    consumes it, then accepts only that nonce, once."""

    nonce: str | None = None
    state_params: dict | None = None

    def save_nonce(self, nonce):
        self.nonce = nonce
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=STATE_TTL)

    def save_state_params(self, state, params):
        self.data_storage.set_value(self._get_key(state), {**params, "nonce": self.nonce}, exp=STATE_TTL)

    def check_state_is_valid(self, state, id_token_hash):
        found = self.data_storage.pop_value(self._get_key(state))
        self.state_params = found if isinstance(found, dict) else None
        return self.state_params is not None

    def set_state_valid(self, state, id_token_hash):
        pass  # a launch's state is consumed, never marked reusable

    def check_nonce(self, nonce):
        return self.data_storage.pop_value(self._get_key("nonce", nonce)) is not None


class StateError(LtiMessageValidationException):
    pass


def _key_set(value: Any) -> bool:
    """A JWKS: an object whose "keys" is a list of objects."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("keys"), list)
        and all(isinstance(k, dict) for k in value["keys"])
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Launch(FlaskMessageLaunch):
    """pylti1p3's launch with stricter checks: JSON-object header and payload, a string issuer,
    the audience and azp, RS256/384/512 signatures with exp and iat required (60 s leeway), the
    nonce bound to the state, and the target_link_uri the login asked for."""

    store: Store | None = None  # for the platforms' cached key sets

    def _tool_session(self) -> Session:
        return cast(Session, self._session_service)

    def validate_state(self):
        state = self._get_request_param("state")
        if not state:
            raise StateError("Missing state param")
        if not self._session_service.check_state_is_valid(state, None):
            raise StateError(
                "State not found: this login was not started by this tool, has expired, or was already used"
            )
        return self

    def validate_jwt_format(self):
        super().validate_jwt_format()
        if not isinstance(self._jwt.get("header"), dict) or not isinstance(self._jwt.get("body"), dict):
            self._jwt = {}
            raise LtiMessageValidationException("Invalid JWT format: its header and payload must be JSON objects")
        return self

    def get_iss(self) -> str:
        iss = self._get_jwt_body().get("iss")
        if not isinstance(iss, str) or not iss:
            raise LtiMessageValidationException('The id_token\'s "iss" must be a non-empty string')
        return iss

    _get_iss = get_iss

    def get_client_id(self) -> str:
        """Our client_id among the audiences: ``azp`` when it is one of several, else the
        (first) audience."""
        body = self._get_jwt_body()
        aud, azp = body.get("aud"), body.get("azp")
        auds: list[Any] = aud if isinstance(aud, list) else [aud]
        if len(auds) > 1 and azp in auds:
            return cast(str, azp)
        return cast(str, auds[0] if auds else None)

    def validate_nonce(self):
        nonce = self._get_jwt_body().get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LtiInvalidNonceException('The id_token has no "nonce"')
        issued = (self._tool_session().state_params or {}).get("nonce")
        if nonce != issued or not self._session_service.check_nonce(nonce):
            raise LtiInvalidNonceException("Invalid Nonce.")
        return self

    def validate_registration(self):
        super().validate_registration()
        body = self._get_jwt_body()
        aud = body.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        client_id = self._registration.get_client_id()
        if client_id not in auds:
            raise LtiMessageValidationException(f"The id_token's audience {auds} is not this tool's client_id")
        if len(auds) > 1 and body.get("azp") != client_id:
            raise LtiMessageValidationException("An id_token with several audiences must name this tool in azp")
        if "azp" in body and body["azp"] != client_id:
            raise LtiMessageValidationException("The id_token's azp is not this tool's client_id")
        return self

    def validate_jwt_signature(self):
        id_token = self._get_id_token()
        public_key, alg = self.get_public_key()
        if alg not in ("RS256", "RS384", "RS512"):
            raise LtiKeyException(f"The key's alg {alg!r} is not an RSA signature (LTI signs with RS256)")
        try:
            jwt.decode(
                id_token,
                public_key,
                algorithms=[alg],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=CLOCK_LEEWAY,
            )
        except jwt.InvalidTokenError as e:
            raise LtiMessageValidationException(f"Can't decode id_token: {e}") from e
        return self

    def validate_message(self):
        super().validate_message()
        wanted = (self._tool_session().state_params or {}).get("target_link_uri")
        if wanted is not None and self._get_jwt_body().get(LTI + "target_link_uri") != wanted:
            raise LtiMessageValidationException(
                "The id_token's target_link_uri is not the one its login initiation named"
            )
        return self

    def fetch_public_key(self, key_set_url: str):
        """The platform's JWKS, cached KEY_CACHE_SECONDS in the shared store; only a 2xx JSON
        object with a list of keys is taken (and kept)."""
        cache_key = "jwks:" + _digest(key_set_url)
        cached = self.store.get(cache_key) if self.store else None
        if _key_set(cached):
            return cached
        try:
            response = self._requests_session.get(key_set_url)
        except requests.RequestException as e:
            why = str(e) if isinstance(e, PlatformTooSlowOrLarge) else type(e).__name__
            raise PlatformError(f"The platform's key set {key_set_url} could not be fetched ({why})") from e
        try:
            keys = response.json() if response.ok else None
        except ValueError:
            keys = None
        if not _key_set(keys):
            raise PlatformError(
                f"The platform's key set {key_set_url} did not answer a JWKS (HTTP {response.status_code})"
            )
        if self.store:
            self.store.set(cache_key, keys, exp=KEY_CACHE_SECONDS)
        return keys

    def get_public_key(self):
        """The platform's key for the token's kid and alg; a kid the cached set lacks fetches
        the set again (the platform rotated its keys), at most once per KEY_REFETCH_SECONDS per
        URL, so that made-up kids cannot make the tool hammer a platform."""
        assert self._registration is not None
        static = bool(self._registration.get_key_set())
        try:
            return super().get_public_key()
        except LtiKeyException:
            url = self._registration.get_key_set_url()
            if static or not is_web_url(url) or self.store is None:
                raise
            if not self.store.add("jwks-refetch:" + _digest(url), True, exp=KEY_REFETCH_SECONDS):
                raise
            self.store.delete("jwks:" + _digest(url))
            self._registration.set_key_set(None)
            return super().get_public_key()


def check_claims(body: dict) -> None:
    """What the routes rely on, refused with a 422 naming the claim when a (validly signed)
    launch lacks it: the message type, roles, custom parameters, the AGS endpoint, the
    resource link and the deep-linking return URL."""
    kind = body.get(LTI + "message_type")
    if kind not in ("LtiResourceLinkRequest", "LtiDeepLinkingRequest"):
        raise LtiError(
            422,
            f"This tool answers LtiResourceLinkRequest and LtiDeepLinkingRequest launches, not {kind!r}",
            "id_token",
        )
    roles = body.get(LTI + "roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise LtiError(422, "The id_token's roles claim must be a list of role URIs", "id_token")
    custom = body.get(LTI + "custom")
    if custom is not None and not isinstance(custom, dict):
        raise LtiError(422, "The id_token's custom claim must be an object of parameters", "custom")
    sub = body.get("sub")
    if sub is not None and (not isinstance(sub, str) or not sub):
        raise LtiError(422, "The id_token's sub must be a non-empty string", "id_token")
    ags = body.get(AGS_CLAIM)
    if ags is not None:
        scope = ags.get("scope", []) if isinstance(ags, dict) else None
        if (
            not isinstance(ags, dict)
            or not isinstance(scope, list)
            or not all(isinstance(x, str) for x in scope)
            or not all(is_web_url(ags[k]) for k in ("lineitem", "lineitems") if k in ags)
        ):
            raise LtiError(
                422,
                "The id_token's AGS endpoint claim is malformed (scope must be a list, lineitem and lineitems http(s) URLs)",
                "id_token",
            )
    if kind == "LtiDeepLinkingRequest":
        settings = body.get(DL_SETTINGS)
        if not isinstance(settings, dict) or not is_web_url(settings.get("deep_link_return_url")):
            raise LtiError(
                422, "The deep-linking request has no http(s) deep_link_return_url in its settings", "id_token"
            )
    else:
        link = body.get(LTI + "resource_link")
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LtiError(422, "The id_token's resource_link has no id", "id_token")


@dataclass
class Tool:
    """What a request needs: the store, the configuration, the key."""

    store: Store
    config: dict
    private_pem: str
    public_pem: str
    static: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def secret(self) -> bytes:
        """A key for the tool's own HMACs (quiz seeds), derived from its private key: secret,
        shared by every worker and replica, and stable while the key is."""
        return hashlib.sha256(b"actfn-lti-seed|" + self.private_pem.encode()).digest()

    @classmethod
    def create(cls, config: dict, store: Store) -> Tool:
        private, public = tool_key(config, store)
        return cls(store, config, private, public, load_platforms(config))

    def platforms(self) -> dict[str, list[dict]]:
        merged = {iss: list(confs) for iss, confs in self.static.items()}
        for reg in self.store.hvalues(PLATFORMS):
            if isinstance(reg, dict) and isinstance(reg.get("issuer"), str) and isinstance(reg.get("conf"), dict):
                merged.setdefault(reg["issuer"], []).append(reg["conf"])
        return merged

    def tool_conf(self) -> ToolConf:
        return ToolConf(self.platforms(), self.private_pem, self.public_pem)

    def jwks(self) -> dict:
        return self.tool_conf().get_jwks()

    def storage(self, request) -> Storage:
        storage = Storage(self.store)
        storage.set_request(request)
        return storage

    def login(self, params: dict, launch_url: str):
        """OIDC login initiation: check the issuer is a known platform and the target is this
        tool's launch URL, then redirect the browser to the platform's authorisation endpoint
        with a fresh state and nonce (the nonce and target kept in the state's record)."""
        iss = params.get("iss")
        conf = self.tool_conf()
        if not isinstance(iss, str) or iss not in conf.known:
            raise LtiError(
                403, f"Unknown issuer {iss!r}: no platform with this issuer is configured or registered", "iss"
            )
        client_id = params.get("client_id")
        if client_id and not any(p.get("client_id") == client_id for p in conf.known[iss]):
            raise LtiError(403, f"Unknown client_id {client_id!r} for issuer {iss!r}", "client_id")
        target = params["target_link_uri"]
        if not _same_target(target, launch_url, strict=bool(self.config.get("LTI_BASE_URL"))):
            raise LtiError(422, f"target_link_uri must be this tool's launch URL {launch_url}", "target_link_uri")
        request = FlaskRequest(request_data=params, request_is_secure=True)
        storage = self.storage(request)
        oidc = FlaskOIDCLogin(request, conf, session_service=Session(request), launch_data_storage=storage)
        oidc.pass_params_to_launch({"target_link_uri": target})
        parts = urlsplit(target)
        redirect_uri = f"{parts.scheme}://{parts.netloc}{parts.path}"  # as registered: no query
        try:
            return oidc.redirect(redirect_uri)
        except StoreUnavailable:
            raise
        except Exception as e:  # OIDCException, ToolConfException: no usable registration for it
            raise LtiError(403, f"This platform cannot log in: {e}", "iss") from e

    def _launch(self, request) -> Launch:
        launch = Launch(
            request,
            self.tool_conf(),
            session_service=Session(request),
            launch_data_storage=self.storage(request),
            requests_session=Http(),
            service_connector_cls=Connector,
        )
        launch.store = self.store
        return launch

    def launch(self, params: dict) -> Launch:
        """Validate an id_token posted by the platform (signature, issuer, audience, expiry,
        deployment, single-use state and nonce) and keep the launch for later requests."""
        request = FlaskRequest(request_data=params, request_is_secure=True)
        launch = self._launch(request)
        launch.set_launch_data_lifetime(int(self.config.get("LTI_LAUNCH_TTL", 3 * 3600)))
        try:
            launch.validate()
        except Exception as e:
            status, message, name = _refusal(e, launch._tool_config, launch)
            raise LtiError(status, message, name) from e
        check_claims(cast(dict, launch.get_launch_data()))
        return launch

    def restore(self, launch_id: str) -> Launch:
        """The launch a page was opened with (its id travels in the page, not in a cookie)."""
        try:
            uuid.UUID(launch_id.removeprefix("lti1p3-launch-"))
        except (ValueError, AttributeError):
            raise LtiError(422, "launch_id is not a launch id", "launch_id") from None
        request = FlaskRequest(request_data={}, request_is_secure=True)
        launch = self._launch(request)
        data = launch.get_session_service().get_launch_data(launch_id)
        if not isinstance(data, dict) or not data:
            raise LtiError(
                401, "This launch has expired or is unknown: open the activity again from your course", "launch_id"
            )
        try:
            launch.set_launch_id(launch_id).set_auto_validation(enable=False).set_jwt(cast(Any, {"body": data}))
            launch.set_restored().validate_registration()
        except (LtiException, ToolConfException):
            raise LtiError(
                401,
                "This launch's platform is no longer registered with this tool: ask your administrator",
                "launch_id",
            ) from None
        return launch


def _same_target(target: Any, launch_url: str, strict: bool) -> bool:
    """Is ``target`` this tool's launch URL: the same path, on the same origin (``strict``, when
    ACTFN_LTI_BASE_URL is set) or host (behind a proxy that may not pass the scheme on)."""
    if not is_web_url(target):
        return False
    a, b = urlsplit(target), urlsplit(launch_url)
    if a.path != b.path or a.fragment:
        return False
    return origin(target) == origin(launch_url) if strict else a.hostname == b.hostname


def _refusal(error: Exception, conf: ToolConf, launch: Launch) -> tuple[int, str, str | None]:
    """(status, message, field) for a launch that failed validation, most specific first."""
    from jwcrypto.common import JWException  # type: ignore[import-untyped]

    if isinstance(error, LtiError):
        return error.status, error.message, error.field
    if isinstance(error, StoreUnavailable):
        return 503, str(error), None
    if isinstance(error, PlatformError):
        return 502, str(error), "id_token"
    if isinstance(error, JWException):
        return 502, "The platform's key set holds a key that is not a valid JWK", "id_token"
    text = str(error)
    lower = text.lower()
    jwt_data = getattr(launch, "_jwt", None)
    body = jwt_data.get("body") if isinstance(jwt_data, dict) else None
    iss = body.get("iss") if isinstance(body, dict) else None
    if isinstance(error, StateError):
        return 401, text, "state"
    if "invalid jwt format" in lower or "must contain 3 parts" in lower:
        return 401, f"The id_token is not a JWT: {text}", "id_token"
    if isinstance(iss, str) and iss not in conf.known:
        return 403, f"Unknown issuer {iss!r}: no platform with this issuer is configured or registered", "id_token"
    if isinstance(error, LtiInvalidNonceException) or "nonce" in lower:
        return 401, "The id_token's nonce was already used or never issued (a replayed launch)", "id_token"
    if "signature has expired" in lower:
        return 401, "The id_token has expired: open the activity again from your course", "id_token"
    if "deployment" in lower:
        return 403, text, "id_token"
    if "client id not registered" in lower or "not found in settings" in lower or "audience" in lower or "azp" in lower:
        return 401, f"The id_token is not for this tool (audience): {text}", "id_token"
    if "signature verification failed" in lower or "public key" in lower or "kid" in lower or "alg" in lower:
        return 401, f"The id_token's signature does not verify against the platform's keys ({text})", "id_token"
    return 401, f"The id_token was refused: {text}", "id_token"


def default_storage_url(config: dict) -> str:
    """``ACTFN_LTI_STORAGE``, else the rate limiter's Redis when it has one, else SQLite."""
    url = config.get("LTI_STORAGE", "").strip()
    if url:
        return url
    limiter = config.get("RATE_LIMIT_STORAGE", "")
    return limiter if limiter.startswith(("redis://", "rediss://", "unix://")) else ""


def log_storage(url: str) -> None:
    if not url.startswith(("redis://", "rediss://", "unix://")) and os.environ.get("ACTFN_ENV") == "production":
        log.warning(
            "LTI state is kept in a SQLite file on this host: right for one host, wrong for several "
            "replicas (set ACTFN_LTI_STORAGE=redis://… shared by all of them)"
        )
