"""LTI Dynamic Registration 1.0 on pylti1p3's :class:`DynamicRegistration`: the tool reads the
platform's OpenID configuration, posts its own configuration to the platform's registration
endpoint and keeps what the platform answers (client_id, deployment, endpoints) in the store."""

from __future__ import annotations

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from .tool import PLATFORM_KEY, Http, LtiError, Tool

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

    def __init__(self, base: str, openid_configuration: str, token: str | None):
        self.base, self.url, self.token = base, openid_configuration, token

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
        issuer = config.get("issuer") if isinstance(config, dict) else None
        # LTI-DR §3.5.1: the configuration's issuer must be the prefix of its URL.
        if not isinstance(issuer, str) or not issuer or not self.url.startswith(issuer):
            raise LtiError(
                502,
                f"The platform's OpenID configuration names issuer {issuer!r}, which is not a prefix of {self.url}",
                "openid_configuration",
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
            if not isinstance(config.get(key), str) or not config[key].startswith(("https://", "http://")):
                raise LtiError(502, f"The platform's OpenID configuration has no valid {key}", "openid_configuration")
        return config

    def complete_registration(self, openid_configuration, openid_registration):
        tool = openid_registration.get(TOOL_CONFIGURATION) or {}
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


def register(tool: Tool, base: str, url: str, token: str | None) -> dict:
    """Run the registration and keep the platform; a platform that fails is a 502 naming why."""
    try:
        platform = Registration(base, url, token).register()
    except LtiError:
        raise
    except (LtiException, requests.RequestException, ValueError, AssertionError, KeyError) as e:
        raise LtiError(502, f"Registration with the platform failed: {e}", "openid_configuration") from None
    key = f"{PLATFORM_KEY}{platform['issuer']}|{platform['conf']['client_id']}"
    tool.store.set(key, platform)
    return platform
