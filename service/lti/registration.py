"""LTI Dynamic Registration 1.0 on pylti1p3's :class:`DynamicRegistration`: the tool reads the
platform's OpenID configuration, posts its own configuration to the platform's registration
endpoint and keeps what the platform answers (client_id, deployment, endpoints) in the store."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from .tool import PLATFORMS, Http, LtiError, PlatformTooSlowOrLarge, Tool, origin

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]


class Registration(DynamicRegistration):
    client_name = "actfn: activation functions"
    description = "Activation functions, their derivatives and vanishing gradients: an explorer and graded quizzes."

    def __init__(self, base: str, openid_configuration: str, token: str | None, allow: list[str]):
        self.base, self.url, self.token, self.allow = base, openid_configuration, token, allow

    def get_request_session(self):
        return Http()

    def get_initiate_login_uri(self):
        return f"{self.base}/lti/login"

    def get_jwks_uri(self):
        return f"{self.base}/lti/jwks"

    def get_redirect_uris(self):
        return [f"{self.base}/lti/launch"]

    def get_target_link_uri(self):
        return f"{self.base}/lti/launch"

    def get_domain(self):
        return self.base.split("://", 1)[1].split("/", 1)[0]

    def get_logo_uri(self):
        return f"{self.base}/favicon.ico"

    def get_scopes(self):
        return SCOPES

    def get_claims(self):
        return ["iss", "sub", "name"]

    def get_messages(self):
        return [
            {"type": "LtiResourceLinkRequest", "target_link_uri": self.get_target_link_uri(), "label": "actfn"},
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": self.get_target_link_uri(),
                "label": "actfn: add a quiz or an explorer view",
                "placements": ["ContentArea"],
                "supported_types": ["ltiResourceLink"],
            },
        ]

    def get_openid_configuration_endpoint(self):
        return self.url

    def get_registration_token(self):
        return self.token

    def get_openid_configuration(self):
        config = super().get_openid_configuration()
        if not isinstance(config, dict):
            raise LtiError(502, "The platform's OpenID configuration is not a JSON object", "openid_configuration")
        platform = config.get(PLATFORM_CONFIGURATION)
        if platform is not None and not isinstance(platform, dict):
            raise LtiError(
                502,
                "The platform's OpenID configuration has a platform configuration that is not an object",
                "openid_configuration",
            )
        issuer = config.get("issuer")
        # LTI-DR §3.5.1: the configuration's issuer must be the prefix of its URL (compared as
        # URLs: the same origin, the issuer's path a leading segment of the URL's).
        if not isinstance(issuer, str) or not is_prefix(issuer, self.url):
            raise LtiError(
                502,
                f"The platform's OpenID configuration names issuer {issuer!r}, which is not a prefix of {self.url}",
                "openid_configuration",
            )
        # The endpoints the tool will call (and whose keys it will trust) live where the
        # configuration does, or on an origin the operator allowed.
        home = origin(self.url)
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
            value = config.get(key)
            where = origin(value) if isinstance(value, str) else None
            if where is None:
                raise LtiError(502, f"The platform's OpenID configuration has no valid {key}", "openid_configuration")
            if where != home and not allowed(value, self.allow, wildcard=False):
                raise LtiError(
                    502,
                    f"The platform's {key} {value} is not on {self.url}'s origin nor in ACTFN_LTI_REGISTRATION_ALLOW",
                    "openid_configuration",
                )
        return config

    def complete_registration(self, openid_configuration, openid_registration):
        if not isinstance(openid_registration, dict):
            raise LtiError(502, "The platform's registration answer is not a JSON object", "openid_configuration")
        tool = openid_registration.get(TOOL_CONFIGURATION) or {}
        if not isinstance(tool, dict):
            raise LtiError(
                502,
                "The platform's registration answer has a tool configuration that is not an object",
                "openid_configuration",
            )
        client_id = openid_registration.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise LtiError(502, "The platform's registration answer has no client_id", "openid_configuration")
        deployment = tool.get("deployment_id")
        conf = {
            "client_id": client_id,
            "auth_login_url": openid_configuration["authorization_endpoint"],
            "auth_token_url": openid_configuration["token_endpoint"],
            "key_set_url": openid_configuration["jwks_uri"],
            "deployment_ids": [deployment] if isinstance(deployment, str) and deployment else ["*"],
        }
        audience = openid_configuration.get("authorization_server")
        if isinstance(audience, str) and audience:
            conf["auth_audience"] = audience
        return {"issuer": openid_configuration["issuer"], "conf": conf}


def is_prefix(prefix: str, url: str) -> bool:
    """``prefix`` is ``url``'s origin and a leading run of its path segments (so that
    https://lms.example is not a prefix of https://lms.example.evil.com/…, nor /a of /ab)."""
    if origin(prefix) is None or origin(prefix) != origin(url):
        return False
    head, path = urlsplit(prefix).path.rstrip("/"), urlsplit(url).path
    return not head or path == head or path.startswith(head + "/")


def allowed(url: str, allow: list[str], wildcard: bool = True) -> bool:
    """Is ``url`` (http(s), no user info) under an entry of ACTFN_LTI_REGISTRATION_ALLOW: the
    same scheme, host and port, and the entry's path a leading run of the URL's; ``*`` allows
    any (only where ``wildcard``)."""
    if origin(url) is None:
        return False
    return any((entry == "*" and wildcard) or is_prefix(entry, url) for entry in allow)


def register(tool: Tool, base: str, url: str, token: str | None, allow: list[str]) -> dict:
    """Run the registration and keep the platform; a platform that fails is a 502 naming why
    (never echoing what it answered); one registered already (issuer, client_id) is a 409."""
    try:
        platform = Registration(base, url, token, allow).register()
    except LtiError:
        raise
    except (
        LtiException,
        requests.RequestException,
        ValueError,
        AssertionError,
        KeyError,
        TypeError,
        AttributeError,
    ) as e:
        response = getattr(e, "response", None)
        status = getattr(response, "status_code", None)
        if status:
            why = f"it answered HTTP {status}"
        else:
            why = str(e) if isinstance(e, PlatformTooSlowOrLarge) else type(e).__name__
        raise LtiError(502, f"Registration with the platform failed ({why})", "openid_configuration") from None
    if not tool.store.hadd(PLATFORMS, f"{platform['issuer']}|{platform['conf']['client_id']}", platform):
        raise LtiError(
            409,
            f"This platform ({platform['issuer']}, client_id {platform['conf']['client_id']}) is registered already",
            "openid_configuration",
        )
    return platform
