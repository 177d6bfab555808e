// Words from JSON dictionaries under i18n/, dates, times and money through Intl in the lead's locale.

export const LANGUAGES = {
  en: "English",
  de: "Deutsch",
  nb: "Norsk bokmål",
  ja: "日本語",
  zh: "中文",
  tr: "Türkçe",
};
const STORED = "recovery.language";
const ALIASES = { no: "nb", nn: "nb" };

let language = "en";
let words = {};
let fallback = {};

export function currentLanguage() {
  return language;
}

// The remembered choice, else the browser's first language we have, else English.
export function preferredLanguage() {
  const stored = localStorage.getItem(STORED);
  if (stored && stored in LANGUAGES) return stored;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = tag.toLowerCase().split("-")[0];
    const known = ALIASES[base] || base;
    if (known in LANGUAGES) return known;
  }
  return "en";
}

async function dictionary(code) {
  const response = await fetch(`/console/i18n/${code}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`no dictionary for ${code}`);
  return response.json();
}

export async function setLanguage(code, remember = false) {
  const chosen = code in LANGUAGES ? code : "en";
  if (!Object.keys(fallback).length) fallback = await dictionary("en");
  words = chosen === "en" ? fallback : await dictionary(chosen);
  language = chosen;
  document.documentElement.lang = chosen;
  if (remember) localStorage.setItem(STORED, chosen);
}

// t("queue.more"), t("case.title", { id: "…" }): missing words fall back to English, then the key.
// With a numeric `count`, the language's plural form is used when the dictionary has one:
// "queue.loaded.one" for 1 case in English, "queue.loaded" (the other forms) otherwise.
export function t(key, values = {}) {
  const template = plural(key, values.count) ?? words[key] ?? fallback[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

function plural(key, count) {
  if (typeof count !== "number" || !Number.isFinite(count)) return undefined;
  const form = `${key}.${new Intl.PluralRules(language).select(count)}`;
  return words[form] ?? (language === "en" ? fallback[form] : undefined);
}

// t() as nodes and strings, for a sentence that holds a value someone wrote: pass that value as a node
// (text.js `isolated`) and it is placed as it is, isolated from the words around it.
export function phrase(key, values = {}) {
  const template = words[key] ?? fallback[key] ?? key;
  return template
    .split(/(\{\w+\})/)
    .filter((part) => part !== "")
    .map((part) => {
      const name = part.match(/^\{(\w+)\}$/)?.[1];
      if (!name || !(name in values)) return part;
      const value = values[name];
      return value instanceof Node ? value : String(value ?? "");
    });
}

// A word for a value from the API (a status, a channel, an event kind), or the value itself.
export function term(group, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${group}.${value}`;
  const found = words[key] ?? fallback[key];
  return found ?? String(value).replaceAll("_", " ");
}

export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}

// The Intl locale: the browser's own tag when it is of the chosen language (keeps its region).
export function locale() {
  const browser = navigator.language || "";
  const base = browser.toLowerCase().split("-")[0];
  return (ALIASES[base] || base) === language ? browser : language;
}

export function dateTime(value) {
  const date = value ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function money(amount, currency) {
  const number = Number(amount);
  if (!currency || Number.isNaN(number)) return `${amount ?? ""} ${currency ?? ""}`.trim();
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(number);
  } catch {
    return `${amount} ${currency}`;
  }
}

export function number(value, digits = 0) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, signDisplay: "auto" }).format(value);
}

// A duration as h:mm:ss (or mm:ss), digits in the locale's own numbering.
export function duration(milliseconds) {
  const total = Math.floor(Math.abs(milliseconds) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours >= 24) {
    const days = { days: Math.floor(hours / 24), hours: hours % 24 };
    if ("DurationFormat" in Intl) return new Intl.DurationFormat(locale(), { style: "short" }).format(days);
    return `${days.days} d ${days.hours} h`;
  }
  if ("DurationFormat" in Intl) {
    const parts = hours ? { hours, minutes, seconds } : { minutes, seconds };
    return new Intl.DurationFormat(locale(), { style: "digital", hoursDisplay: "auto" }).format(parts);
  }
  const two = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
}
