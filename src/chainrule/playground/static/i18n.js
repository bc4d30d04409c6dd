// The page's strings. Every visible string goes through t(englishText), which looks the
// text up in the catalog the server serves (GET /api/messages/{lang}, gettext domain
// "playground"); English needs no catalog. Each msgid is written out as a literal in the
// t(...) call, so that the catalog's extraction (tests/playground) finds it.
//
// In the HTML, an element with a `data-i18n` attribute has its text translated (the
// English text is the msgid), and `data-i18n-attrs="title aria-label"` translates those
// attributes.

let catalog = {};
let language = "en";

/** The translation of msgid, with {name} placeholders filled from args:
 *  t(msgid, {n: 3}) fills "{n}" in the msgid's translation with 3. */
export function t(msgid, args) {
  let s = catalog[msgid] || msgid;
  if (args) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m));
  return s;
}

export const currentLanguage = () => language;

/** Load lang's catalog (en: none) and translate the page's static text. */
export async function setLanguage(lang) {
  let next = {};
  if (lang && lang !== "en") {
    try {
      const r = await fetch(`/api/messages/${encodeURIComponent(lang)}`);
      if (r.ok) next = await r.json();
      else console.warn(`playground: no catalog for language ${lang} (HTTP ${r.status})`);
    } catch (err) {
      console.warn("playground: could not load the catalog", err);
    }
  }
  catalog = next;
  language = lang || "en";
  document.documentElement.lang = language;
  translateDom(document);
}

/** Translate every marked element under root; the English originals are remembered on
 *  first sight, so switching back and forth works. */
export function translateDom(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    if (!el.dataset.i18n) el.dataset.i18n = el.textContent.trim();
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-attrs]")) {
    for (const attr of el.dataset.i18nAttrs.split(/\s+/).filter(Boolean)) {
      const key = `i18n_${attr.replace(/-/g, "_")}`;
      if (!(key in el.dataset)) el.dataset[key] = el.getAttribute(attr) || "";
      el.setAttribute(attr, t(el.dataset[key]));
    }
  }
}
