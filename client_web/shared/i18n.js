// User-visible text: every string comes from i18n/<lang>.json, Vietnamese by default.
// The chosen language is kept in localStorage; static HTML is translated through
// data-i18n (text) and data-i18n-placeholder / -title / -aria-label (attributes).

export const LANGUAGES = ["vi", "en"];
export const DEFAULT_LANGUAGE = "vi";
const STORAGE_KEY = "phonghop.language";
const ATTRIBUTES = ["placeholder", "title", "aria-label"];

let current = DEFAULT_LANGUAGE;
let strings = {};
let fallback = {};
let ready = null;

async function loadCatalog(lang) {
  const response = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url), {
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`translations for ${lang} not found (${response.status})`);
  return response.json();
}

function storedLanguage() {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(value) ? value : DEFAULT_LANGUAGE;
  } catch {
    return DEFAULT_LANGUAGE; // storage disabled: stay in Vietnamese
  }
}

async function useLanguage(lang) {
  const loaded = await loadCatalog(lang);
  fallback = lang === DEFAULT_LANGUAGE ? {} : await loadCatalog(DEFAULT_LANGUAGE);
  strings = loaded;
  current = lang;
  document.documentElement.lang = lang;
}

export function initI18n() {
  ready ??= useLanguage(storedLanguage()).then(() => applyTranslations(document));
  return ready;
}

export function language() {
  return current;
}

const LOCALES = { vi: "vi-VN", en: "en-GB" };

/** The BCP 47 locale of the UI's language, for Intl and toLocaleString (numbers, weekdays). */
export function locale() {
  return LOCALES[current] ?? "vi-VN";
}

/** The other language, for the one-button switch. */
export function otherLanguage() {
  return current === "vi" ? "en" : "vi";
}

export async function setLanguage(lang) {
  await initI18n(); // a tap before the first catalog arrived waits for it
  if (!LANGUAGES.includes(lang) || lang === current) return;
  await useLanguage(lang);
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage disabled: the choice lasts until the page is reloaded
  }
  applyTranslations(document);
  window.dispatchEvent(new CustomEvent("phonghop:language", { detail: { language: lang } }));
}

/** The string for `key` with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const template = strings[key] ?? fallback[key];
  if (template === undefined) {
    console.warn(`missing translation: ${key}`);
    return key;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export function applyTranslations(root) {
  // The switch names the other language in that language ("English" / "Tiếng Việt").
  for (const el of root.querySelectorAll("#language-switch")) el.lang = otherLanguage();
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const attr of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
    }
  }
}
