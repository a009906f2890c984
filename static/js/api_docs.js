// The API documentation at /schema: Swagger UI (vendored in /static/vendor/swagger-ui,
// no CDN) reading the schema whose address the page gives in data-schema-url.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.schemaUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null, // the default would ask a server elsewhere to validate the schema
  presets: [SwaggerUIBundle.presets.apis],
});
