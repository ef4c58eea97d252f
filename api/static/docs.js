/* Interactive OpenAPI docs from the vendored Swagger UI (no CDN). "Authorize" takes a read token. */
document.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: true,
  });
});
