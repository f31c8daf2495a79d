"""A fake LMS for the LTI tests: an LTI 1.3 platform with its own RSA key, served on loopback.

It signs id_tokens (resource-link and deep-linking launches), publishes its JWKS, issues
OAuth2 access tokens for the tool's client-credentials grant (checking the tool's signed
assertion against the tool's own JWKS URL), keeps AGS line items and the scores it receives,
takes deep-linking responses (checking the tool's signature), and answers LTI Dynamic
Registration. The test plays the browser between the two servers.
"""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, request
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
]
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class Server:
    """A Flask app on a loopback port, in a thread."""

    def __init__(self, app: Flask):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()


class Platform:
    def __init__(self, client_id: str = "actfn-client", deployment_id: str = "deployment-1"):
        self.key, self.kid = new_key(), "platform-key-1"
        self.client_id, self.deployment_id = client_id, deployment_id
        self.tool_url = ""  # set by the test once the tool listens
        self.lineitems: dict[str, dict] = {}
        self.scores: list[dict] = []
        self.tokens: dict[str, list[str]] = {}
        self.deep_links: list[dict] = []
        self.registrations: list[dict] = []
        self.registration_token = "reg-token-" + uuid.uuid4().hex
        self.fail_scores = False
        self.jwks_hits = 0
        self.jwks_answer: tuple | None = None  # (body, status) answered instead of the JWKS
        self.config_overrides: dict = {}  # replace fields of the OpenID configuration
        self.registration_answer: tuple | None = None  # (body, status) answered instead of a registration
        self.next_page = None  # page number → the URL a GET of the line items names as rel="next"
        self.lineitem_pages = 0
        self.app = self._app()
        self.server = Server(self.app)
        self.issuer = self.url = self.server.url

    # ----- configuration as the tool's operator writes it -----

    def tool_config(self) -> dict:
        return {
            self.issuer: {
                "client_id": self.client_id,
                "auth_login_url": f"{self.url}/auth",
                "auth_token_url": f"{self.url}/token",
                "key_set_url": f"{self.url}/jwks",
                "deployment_ids": [self.deployment_id],
            }
        }

    def jwks(self) -> dict:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # ----- the browser's steps -----

    def login_params(self, target: str, hint: str = "user-1") -> dict:
        return {
            "iss": self.issuer,
            "login_hint": hint,
            "target_link_uri": target,
            "lti_message_hint": "msg-" + hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    @staticmethod
    def authorization(redirect: str) -> dict:
        """What the tool's login redirect asks of the platform's /auth."""
        query = {k: v[0] for k, v in parse_qs(urlparse(redirect).query).items()}
        for key, value in (("scope", "openid"), ("response_type", "id_token"), ("response_mode", "form_post")):
            assert query.get(key) == value, (key, query)
        assert query["state"] and query["nonce"] and query["redirect_uri"]
        return query

    def id_token(
        self,
        auth: dict,
        *,
        sub: str = "student-1",
        roles=(LEARNER,),
        message: str = "LtiResourceLinkRequest",
        custom: dict | None = None,
        lineitem: str | None = None,
        resource_link: str = "link-1",
        key=None,
        kid: str | None = None,
        alg: str = "RS256",
        **overrides,
    ) -> str:
        """A signed id_token answering ``auth``; ``overrides`` replace claims (None drops one)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": auth["nonce"],
            "name": "Ada Student",
            LTI + "message_type": message,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": auth["redirect_uri"],
            LTI + "roles": list(roles),
            LTI + "context": {"id": "course-1", "title": "Deep learning 101"},
        }
        if message == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": resource_link, "title": "actfn"}
            if custom:
                claims[LTI + "custom"] = custom
            claims[AGS] = {"scope": AGS_SCOPES, "lineitems": f"{self.url}/lineitems"}
            if lineitem:
                claims[AGS]["lineitem"] = lineitem
        else:
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "opaque-platform-data",
            }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, pem(key or self.key), algorithm=alg, headers={"kid": kid or self.kid})

    # ----- the platform's endpoints -----

    def _app(self) -> Flask:
        app = Flask("fake-lms")

        @app.get("/jwks")
        def jwks():
            self.jwks_hits += 1
            if self.jwks_answer is not None:
                return self.jwks_answer
            return jsonify(self.jwks())

        @app.post("/token")
        def token():
            form = request.form
            assert form["grant_type"] == "client_credentials"
            assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            tool_keys = requests.get(f"{self.tool_url}/lti/jwks", timeout=10).json()["keys"]
            kid = jwt.get_unverified_header(form["client_assertion"])["kid"]
            key = RSAAlgorithm.from_jwk(next(k for k in tool_keys if k["kid"] == kid))
            claims = jwt.decode(form["client_assertion"], key, algorithms=["RS256"], audience=f"{self.url}/token")
            assert claims["iss"] == claims["sub"] == self.client_id
            access = "at-" + uuid.uuid4().hex
            self.tokens[access] = form["scope"].split()
            return jsonify({"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": form["scope"]})

        def scopes() -> list[str]:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                abort(401)
            return self.tokens[auth[7:]]

        @app.route("/lineitems", methods=["GET", "POST"])
        def lineitems():
            scopes()
            if request.method == "GET":
                found = list(self.lineitems.values())
                link = request.args.get("resource_link_id")
                response = jsonify([li for li in found if not link or li.get("resourceLinkId") == link])
                if self.next_page is not None:
                    self.lineitem_pages += 1
                    response.headers["Link"] = f'<{self.next_page(self.lineitem_pages)}>; rel="next"'
                return response
            item = {**request.get_json(force=True), "id": f"{self.url}/lineitems/{uuid.uuid4().hex[:8]}"}
            self.lineitems[item["id"]] = item
            return jsonify(item), 201

        @app.post("/lineitems/<item>/scores")
        def scores(item):
            assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in scopes()
            if self.fail_scores:
                return "gradebook unavailable", 503
            assert request.mimetype == "application/vnd.ims.lis.v1.score+json"
            self.scores.append({"lineitem": f"{self.url}/lineitems/{item}", **request.get_json(force=True)})
            return "", 204

        @app.post("/deep-link-return")
        def deep_link_return():
            token = request.form["JWT"]
            tool_keys = requests.get(f"{self.tool_url}/lti/jwks", timeout=10).json()["keys"]
            kid = jwt.get_unverified_header(token)["kid"]
            key = RSAAlgorithm.from_jwk(next(k for k in tool_keys if k["kid"] == kid))
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.issuer)
            assert claims["iss"] == self.client_id
            assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
            assert claims[LTI + "deployment_id"] == self.deployment_id
            assert claims[DL + "data"] == "opaque-platform-data"
            self.deep_links.append(claims)
            return "<p>Link added</p>"

        @app.get("/.well-known/openid-configuration")
        def openid_configuration():
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.url}/auth",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                    "registration_endpoint": f"{self.url}/register",
                    "scopes_supported": ["openid", *AGS_SCOPES],
                    "response_types_supported": ["id_token"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "fake-lms",
                        "version": "1.0",
                        "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
                    },
                    **self.config_overrides,
                }
            )

        @app.post("/register")
        def register():
            if request.headers.get("Authorization") != f"Bearer {self.registration_token}":
                abort(401)
            if self.registration_answer is not None:
                return self.registration_answer
            body = request.get_json(force=True)
            self.registrations.append(body)
            tool = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
            return jsonify(
                {
                    **body,
                    "client_id": self.client_id,
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                        **tool,
                        "deployment_id": self.deployment_id,
                    },
                }
            )

        return app

    def close(self):
        self.server.close()
