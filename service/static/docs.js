// The API reference at /docs: Swagger UI 5 (served by this service from /docs/assets/, no CDN)
// rendering this service's own OpenAPI 3.1 spec. "Try it out" sends requests to the service the
// page came from. No validator badge: it would send the spec to validator.swagger.io.
"use strict";

window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    docExpansion: "list",
    filter: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    requestSnippetsEnabled: true,
  });
});
