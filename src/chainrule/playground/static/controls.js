// The setup's two forms: the URL hash (TF Playground's names, key=value&...) and the
// page's controls (every element with data-key="name"). The server's normalised config is
// the truth; the page writes it back to the hash and the controls.

import { t } from "./i18n.js";

/** "#activation=tanh&networkShape=4,2" -> {activation: "tanh", networkShape: "4,2"}.
 *  Values stay strings: the server parses and validates them. */
export function parseHash(hash) {
  const out = {};
  for (const part of (hash || "").replace(/^#/, "").split("&")) {
    if (!part) continue;
    const i = part.indexOf("=");
    const key = decodeURIComponent(i < 0 ? part : part.slice(0, i));
    out[key] = i < 0 ? "" : decodeURIComponent(part.slice(i + 1));
  }
  return out;
}

/** A config -> its hash (without "#"), lists written as 8,8,8. */
export function hashOf(config) {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : encodeURIComponent(String(v))}`)
    .join("&");
}

/** The value a control holds, typed as its data-type says. */
export function readControl(el) {
  if (el.type === "checkbox") return el.checked;
  if (el.dataset.type === "number") return Number(el.value);
  return el.value;
}

const $ = (id) => document.getElementById(id);

/** Show a config in the controls. */
export function showConfig(config, limits) {
  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key;
    if (!(key in config)) continue;
    const v = config[key];
    if (el.type === "checkbox") el.checked = !!v;
    else if (el.tagName === "SELECT") selectValue(el, String(v));
    else el.value = String(v);
    const label = $(`val-${key}`);
    if (label) label.textContent = String(v);
  }
  const regression = config.problem === "regression";
  $("datasets").hidden = regression;
  $("regdatasets").hidden = !regression;
  for (const b of document.querySelectorAll("[data-dataset]")) {
    b.classList.toggle("selected", b.dataset.dataset === config.dataset);
    b.setAttribute("aria-pressed", b.dataset.dataset === config.dataset ? "true" : "false");
  }
  for (const b of document.querySelectorAll("[data-regdataset]")) {
    b.classList.toggle("selected", b.dataset.regdataset === config.regDataset);
    b.setAttribute("aria-pressed", b.dataset.regdataset === config.regDataset ? "true" : "false");
  }
  // more than two classes: spiral or gauss, classification only (the server's rule)
  $("classes-row").hidden = regression || !["spiral", "gauss"].includes(config.dataset);
  // the loss applies to classification; regression always uses squared error
  $("ctl-loss").disabled = regression;
  const shape = config.networkShape || [];
  $("n-layers").textContent = String(shape.length);
  $("layers-word").textContent = shape.length === 1 ? t("hidden layer") : t("hidden layers");
  $("add-layer").disabled = shape.length >= ((limits && limits.maxLayers) || 32);
  $("remove-layer").disabled = shape.length === 0;
}

/** Select value in a <select>, adding an option when the URL asked for one not listed. */
function selectValue(select, value) {
  const has = [...select.options].some((o) => (o.value || o.text) === value);
  if (!has) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = value;
    select.append(o);
  }
  select.value = value;
}
