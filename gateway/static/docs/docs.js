// The API's reference, read from /api/v1/openapi.json: operations grouped by tag with
// their parameters, bodies and answers, then the schemas they use. Only elements and
// text nodes are built, never HTML strings: the page's policy enforces Trusted Types,
// and everything shown comes from the document.
"use strict";

(function () {
  const DOCUMENT = "/api/v1/openapi.json";
  const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  const LOCATION = { path: "chemin", query: "requête", header: "en-tête", cookie: "cookie" };
  // Schemas refer to one another; nested views stop here, links remain.
  const MAX_DEPTH = 6;

  let doc = {};

  /** An element with attributes and children (nodes or text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** A name usable in an `id` and a `#fragment`. */
  function anchor(prefix, name) {
    return prefix + "-" + String(name).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  /** Follows a local `$ref` (`#/components/…`); anything else stays as it is. */
  function resolve(item) {
    let seen = 0;
    while (item && typeof item.$ref === "string" && item.$ref.startsWith("#/") && seen < 16) {
      let target = doc;
      for (const part of item.$ref.slice(2).split("/")) {
        target = target ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
      }
      if (!target) break;
      item = target;
      seen += 1;
    }
    return item || {};
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  /** Text with blank lines as paragraphs. */
  function prose(text, className) {
    if (!text) return null;
    return String(text)
      .split(/\n\s*\n/)
      .map((paragraph) => el("p", { class: className || "desc" }, paragraph.trim()));
  }

  /** `string (date-time)`, `tableau de Demand`, `string | null`, a link for a `$ref`. */
  function typeOf(schema) {
    if (!schema || typeof schema !== "object") return el("span", { class: "type" }, "quelconque");
    if (typeof schema.$ref === "string") {
      const name = refName(schema.$ref);
      return el("a", { class: "type", href: "#" + anchor("schema", name) }, name);
    }
    const label = el("span", { class: "type" });
    let types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
    if (types.length === 0) {
      if (schema.oneOf) types = ["un parmi"];
      else if (schema.anyOf) types = ["au moins un parmi"];
      else if (schema.allOf) types = ["tous"];
      else if (schema.properties) types = ["object"];
      else if ("const" in schema) types = ["constante"];
      else types = ["quelconque"];
    }
    types.forEach((type, i) => {
      if (i > 0) label.append(" | ");
      if (type === "array") {
        label.append("tableau de ", typeOf(schema.items));
      } else {
        label.append(type);
      }
    });
    if (schema.format) label.append(" (" + schema.format + ")");
    return label;
  }

  /** Constraints worth knowing before sending a value. */
  function constraints(schema) {
    const parts = [];
    const show = (value) => JSON.stringify(value);
    if (Array.isArray(schema.enum)) parts.push("valeurs : " + schema.enum.map(show).join(", "));
    if ("const" in schema) parts.push("valeur : " + show(schema.const));
    if (schema.pattern) parts.push("motif : " + schema.pattern);
    if (schema.minLength !== undefined) parts.push("longueur min. " + schema.minLength);
    if (schema.maxLength !== undefined) parts.push("longueur max. " + schema.maxLength);
    if (schema.minimum !== undefined) parts.push("min. " + schema.minimum);
    if (schema.exclusiveMinimum !== undefined) parts.push("> " + schema.exclusiveMinimum);
    if (schema.maximum !== undefined) parts.push("max. " + schema.maximum);
    if (schema.exclusiveMaximum !== undefined) parts.push("< " + schema.exclusiveMaximum);
    if (schema.minItems !== undefined) parts.push("éléments min. " + schema.minItems);
    if (schema.maxItems !== undefined) parts.push("éléments max. " + schema.maxItems);
    if (schema.default !== undefined) parts.push("par défaut : " + show(schema.default));
    if (schema.example !== undefined) parts.push("exemple : " + show(schema.example));
    if (schema.readOnly) parts.push("en lecture seule");
    if (schema.writeOnly) parts.push("en écriture seule");
    if (schema.deprecated) parts.push("obsolète");
    return parts.length ? el("span", { class: "desc" }, " — " + parts.join(" ; ")) : null;
  }

  /** A schema as a tree: its type, constraints, description, properties, variants. */
  function schemaView(schema, depth) {
    const box = el("div", {}, typeOf(schema));
    if (!schema || typeof schema !== "object" || schema.$ref) return box;
    box.append(constraints(schema) || "");
    if (schema.description && depth > 0) box.append(...prose(schema.description));
    if (depth >= MAX_DEPTH) return box;
    for (const key of ["oneOf", "anyOf", "allOf"]) {
      if (Array.isArray(schema[key])) {
        box.append(
          el("ul", { class: "schema" }, schema[key].map((variant) => el("li", {}, schemaView(variant, depth + 1))))
        );
      }
    }
    const items = schema.items;
    if (items && typeof items === "object" && !items.$ref && (items.properties || items.oneOf || items.anyOf)) {
      box.append(el("ul", { class: "schema" }, el("li", {}, "élément : ", schemaView(items, depth + 1))));
    }
    const required = new Set(schema.required || []);
    const properties = Object.entries(schema.properties || {});
    const extra = schema.additionalProperties;
    if (properties.length || (extra && typeof extra === "object")) {
      const list = el("ul", { class: "schema" });
      for (const [name, property] of properties) {
        list.append(
          el(
            "li",
            {},
            el("code", {}, name),
            required.has(name) ? el("span", { class: "requis", title: "obligatoire" }, " *") : "",
            " : ",
            schemaView(property, depth + 1)
          )
        );
      }
      if (extra && typeof extra === "object") {
        list.append(el("li", {}, el("em", {}, "autres clés"), " : ", schemaView(extra, depth + 1)));
      }
      box.append(list);
    }
    return box;
  }

  /** Each media type of a body or answer, with its schema. */
  function contentView(content) {
    return Object.entries(content || {}).map(([type, media]) =>
      el("div", {}, el("code", {}, type), " ", media && media.schema ? schemaView(media.schema, 1) : "")
    );
  }

  function parametersView(parameters) {
    if (!parameters.length) return null;
    const rows = parameters.map((parameter) =>
      el(
        "tr",
        {},
        el("td", {}, el("code", {}, parameter.name)),
        el("td", {}, LOCATION[parameter.in] || parameter.in),
        el("td", {}, parameter.required ? "oui" : "non"),
        el("td", {}, parameter.schema ? schemaView(parameter.schema, 1) : ""),
        el("td", {}, parameter.description || "", parameter.deprecated ? " (obsolète)" : "")
      )
    );
    return [
      el("h4", {}, "Paramètres"),
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, ["Nom", "Emplacement", "Obligatoire", "Type", "Description"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)
      ),
    ];
  }

  function bodyView(requestBody) {
    if (!requestBody) return null;
    const body = resolve(requestBody);
    return [
      el("h4", {}, "Corps de la requête", body.required ? " (obligatoire)" : " (facultatif)"),
      prose(body.description),
      contentView(body.content),
    ];
  }

  function responsesView(responses) {
    const rows = Object.entries(responses || {}).map(([status, response]) => {
      response = resolve(response);
      const headers = Object.entries(response.headers || {}).map(([name, header]) => {
        header = resolve(header);
        return el("div", {}, "en-tête ", el("code", {}, name), header.description ? " — " + header.description : "");
      });
      return el(
        "tr",
        {},
        el("td", { class: "statut" }, status === "default" ? "autre" : status),
        el("td", {}, response.description || ""),
        el("td", {}, contentView(response.content), headers)
      );
    });
    if (!rows.length) return null;
    return [
      el("h4", {}, "Réponses"),
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, ["Statut", "Description", "Contenu"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)
      ),
    ];
  }

  function securityView(operation) {
    const requirements = operation.security || doc.security || [];
    const names = requirements.flatMap((requirement) => Object.keys(requirement));
    if (!names.length) return el("p", { class: "desc" }, "Sans authentification.");
    const schemes = (doc.components && doc.components.securitySchemes) || {};
    const labels = names.map((name) => {
      const scheme = schemes[name] || {};
      return scheme.scheme === "bearer" ? "jeton Bearer (en-tête Authorization)" : name;
    });
    const optional = requirements.some((requirement) => Object.keys(requirement).length === 0);
    return el("p", { class: "desc" }, "Authentification : ", [...new Set(labels)].join(", "), optional ? " (facultative)" : "");
  }

  function operationView(path, method, operation, pathItem) {
    const id = anchor("op", operation.operationId ? method + "-" + operation.operationId : method + path);
    const parameters = [...(pathItem.parameters || []), ...(operation.parameters || [])].map(resolve);
    const section = el(
      "section",
      { class: "operation", id, "data-recherche": (method + " " + path + " " + (operation.summary || "")).toLowerCase() },
      el("h3", {}, el("span", { class: "methode " + method }, method.toUpperCase()), path),
      operation.summary ? el("p", { class: "resume" }, operation.summary) : null,
      operation.deprecated ? el("p", { class: "obsolete" }, "Opération obsolète.") : null,
      prose(operation.description),
      securityView(operation),
      parametersView(parameters),
      bodyView(operation.requestBody),
      responsesView(operation.responses)
    );
    return { id, section };
  }

  /** Operations by tag, in the document's order of tags. */
  function groups() {
    const byTag = new Map();
    for (const tag of doc.tags || []) byTag.set(tag.name, { tag, operations: [] });
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const name = (operation.tags && operation.tags[0]) || "autres";
        if (!byTag.has(name)) byTag.set(name, { tag: { name }, operations: [] });
        byTag.get(name).operations.push({ path, method, operation, item });
      }
    }
    return [...byTag.values()].filter((group) => group.operations.length);
  }

  function render() {
    const info = doc.info || {};
    document.title = (info.title || "API") + " — documentation";
    document.getElementById("titre").textContent = (info.title || "API") + (info.version ? " " + info.version : "");
    document.getElementById("description").textContent = info.description || "";

    const content = document.getElementById("contenu");
    const nav = document.getElementById("sommaire");
    content.replaceChildren();
    nav.replaceChildren(el("strong", {}, "Opérations"));

    for (const group of groups()) {
      const tagId = anchor("tag", group.tag.name);
      content.append(el("h2", { id: tagId }, group.tag.name), ...(prose(group.tag.description) || []));
      const links = el("ul");
      for (const { path, method, operation, item } of group.operations) {
        const { id, section } = operationView(path, method, operation, item);
        content.append(section);
        links.append(
          el("li", { "data-cible": id }, el("a", { href: "#" + id }, method.toUpperCase() + " " + path))
        );
      }
      nav.append(el("div", {}, el("a", { href: "#" + tagId }, group.tag.name)), links);
    }

    const schemas = Object.entries((doc.components && doc.components.schemas) || {});
    if (schemas.length) {
      content.append(el("h2", { id: "schemas" }, "Schémas"));
      for (const [name, schema] of schemas) {
        content.append(
          el(
            "section",
            { class: "operation schema-def", id: anchor("schema", name) },
            el("h3", {}, name),
            prose(schema.description),
            schemaView(schema, 0)
          )
        );
      }
      nav.append(el("div", {}, el("a", { href: "#schemas" }, "Schémas")));
    }

    if (location.hash) {
      const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  /** Shows only the operations whose method, path or summary hold the text typed. */
  function filter(text) {
    const wanted = text.trim().toLowerCase();
    for (const section of document.querySelectorAll("section.operation[data-recherche]")) {
      const shown = !wanted || section.dataset.recherche.includes(wanted);
      section.hidden = !shown;
      const link = document.querySelector('li[data-cible="' + section.id + '"]');
      if (link) link.hidden = !shown;
    }
  }

  async function start() {
    const state = document.getElementById("etat");
    try {
      const response = await fetch(DOCUMENT, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error("statut " + response.status);
      doc = await response.json();
      render();
    } catch (error) {
      state.className = "erreur";
      state.textContent = "Le document OpenAPI n'a pas pu être chargé (" + error.message + ").";
      return;
    }
    document.getElementById("filtre").addEventListener("input", (event) => filter(event.target.value));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
