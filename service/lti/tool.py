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

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.contrib.flask.launch_data_storage.cache import FlaskCacheDataStorage
from pylti1p3.contrib.flask.service_connector import FlaskServiceConnector
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, LtiInvalidNonceException, LtiKeyException, LtiMessageValidationException
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict

from .store import Store

log = logging.getLogger("actfn.lti")

PLATFORM_KEY = "platform:"  # + issuer + "|" + client_id: a dynamically registered platform
STATE_TTL = 300  # seconds from login to launch
KEY_CACHE_SECONDS = 600  # a platform's JWKS, kept this long (fetched again for an unknown kid)
PLATFORM_TIMEOUT = 10  # seconds for each call to a platform


class LtiError(Exception):
    """A refusal with its HTTP status and a message for the person at the LMS."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


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


class Http(requests.Session):
    """Every call to a platform (JWKS, token, AGS, registration) with a timeout, and no
    redirect followed elsewhere."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, **kwargs)


class Connector(FlaskServiceConnector):
    """Service access tokens (client-credentials grant) cached per worker until they expire."""

    tokens: dict[str, tuple[str, float]] = {}
    lock = threading.Lock()

    def _get_cached_access_token(self, scope_key):
        token, expires = self.tokens.get(scope_key, (None, 0.0))
        return token if expires > time.monotonic() + 5 else None

    def _cache_access_token(self, scope_key, access_token, expires_in):
        with self.lock:
            self.tokens[scope_key] = (access_token, time.monotonic() + float(expires_in))


class Session(FlaskSessionService):
    """State and nonce are single use: the launch that checks one deletes it."""

    def save_state_params(self, state, params):
        self.data_storage.set_value(self._get_key(state), params, exp=STATE_TTL)

    def check_state_is_valid(self, state, id_token_hash):
        return self.data_storage.pop_value(self._get_key(state)) is not None

    def set_state_valid(self, state, id_token_hash):
        pass  # a launch's state is consumed, never marked reusable

    def save_nonce(self, nonce):
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=STATE_TTL)

    def check_nonce(self, nonce):
        return self.data_storage.pop_value(self._get_key("nonce", nonce)) is not None


class StateError(LtiMessageValidationException):
    pass


class Launch(FlaskMessageLaunch):
    def get_public_key(self):
        """The platform's key for the token's kid, from its JWKS (cached a while); a kid the
        cached set lacks fetches the set again once (the platform rotated its keys)."""
        try:
            return super().get_public_key()
        except LtiKeyException:
            url = self._registration.get_key_set_url() if self._registration else None
            if not url or self._public_key_cache_data_storage is None:
                raise
            self._public_key_cache_data_storage.remove_value("key-set-url-" + hashlib.md5(url.encode()).hexdigest())
            self._registration.set_key_set(None)
            return super().get_public_key()

    def validate_state(self):
        state = self._get_request_param("state")
        if not state:
            raise StateError("Missing state param")
        if not self._session_service.check_state_is_valid(state, None):
            raise StateError(
                "State not found: this login was not started by this tool, has expired, or was already used"
            )
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
        return self


@dataclass
class Tool:
    """What a request needs: the store, the configuration, the key."""

    store: Store
    config: dict
    private_pem: str
    public_pem: str
    static: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def create(cls, config: dict, store: Store) -> Tool:
        private, public = tool_key(config, store)
        return cls(store, config, private, public, load_platforms(config))

    def platforms(self) -> dict[str, list[dict]]:
        merged = {iss: list(confs) for iss, confs in self.static.items()}
        for reg in self.store.values(PLATFORM_KEY):
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

    def login(self, params: dict):
        """OIDC login initiation: check the issuer is a known platform, then redirect the browser
        to the platform's authorisation endpoint with a fresh state and nonce."""
        iss = params.get("iss")
        conf = self.tool_conf()
        if not isinstance(iss, str) or iss not in conf.known:
            raise LtiError(
                403, f"Unknown issuer {iss!r}: no platform with this issuer is configured or registered", "iss"
            )
        client_id = params.get("client_id")
        if client_id and not any(p.get("client_id") == client_id for p in conf.known[iss]):
            raise LtiError(403, f"Unknown client_id {client_id!r} for issuer {iss!r}", "client_id")
        request = FlaskRequest(request_data=params, request_is_secure=True)
        storage = self.storage(request)
        oidc = FlaskOIDCLogin(request, conf, session_service=Session(request), launch_data_storage=storage)
        oidc.pass_params_to_launch({"issued": True})
        try:
            return oidc.redirect(params["target_link_uri"])
        except Exception as e:  # OIDCException, ToolConfException: no usable registration for it
            raise LtiError(403, f"This platform cannot log in: {e}", "iss") from e

    def launch(self, params: dict) -> Launch:
        """Validate an id_token posted by the platform (signature, issuer, audience, expiry,
        deployment, single-use state and nonce) and keep the launch for later requests."""
        request = FlaskRequest(request_data=params, request_is_secure=True)
        conf = self.tool_conf()
        storage = self.storage(request)
        launch = Launch(
            request,
            conf,
            session_service=Session(request),
            launch_data_storage=storage,
            requests_session=Http(),
            service_connector_cls=Connector,
        )
        launch.set_launch_data_lifetime(int(self.config.get("LTI_LAUNCH_TTL", 3 * 3600)))
        launch.set_public_key_caching(storage, cache_lifetime=KEY_CACHE_SECONDS)
        try:
            launch.validate()
        except Exception as e:
            raise LtiError(*_refusal(e, conf, launch)) from e
        return launch

    def restore(self, launch_id: str) -> Launch:
        """The launch a page was opened with (its id travels in the page, not in a cookie)."""
        try:
            uuid.UUID(launch_id.removeprefix("lti1p3-launch-"))
        except (ValueError, AttributeError):
            raise LtiError(422, "launch_id is not a launch id", "launch_id") from None
        request = FlaskRequest(request_data={}, request_is_secure=True)
        try:
            restored = Launch.from_cache(
                launch_id,
                request,
                self.tool_conf(),
                session_service=Session(request),
                launch_data_storage=self.storage(request),
                requests_session=Http(),
                service_connector_cls=Connector,
            )
        except LtiException:
            raise LtiError(
                401, "This launch has expired or is unknown: open the activity again from your course", "launch_id"
            ) from None
        return cast(Launch, restored)


def _refusal(error: Exception, conf: ToolConf, launch: Launch) -> tuple[int, str, str]:
    """(status, message, field) for a launch that failed validation, most specific first."""
    text = str(error)
    lower = text.lower()
    body = launch._jwt.get("body", {}) if isinstance(getattr(launch, "_jwt", None), dict) else {}
    iss = body.get("iss")
    if isinstance(error, StateError):
        return 401, text, "state"
    if "invalid jwt format" in lower or "must contain 3 parts" in lower:
        return 401, f"The id_token is not a JWT: {text}", "id_token"
    if iss is not None and iss not in conf.known:
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
