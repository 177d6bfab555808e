// Live SLA countdowns: every element made by countdown() is refreshed once a second while shown.
// The end is taken from the API's `seconds_left` (counted on the server's clock) when it is there.

import { now } from "./api.js";
import { duration, t } from "./i18n.js";
import { h } from "./dom.js";

let timer = null;

export function countdown(item, label) {
  const given = Number(item.seconds_left);
  const ends =
    item.seconds_left !== null && item.seconds_left !== undefined && !Number.isNaN(given)
      ? Date.now() + given * 1000
      : Date.parse(item.deadline) - (now() - Date.now());
  if (Number.isNaN(ends)) return null;
  const element = h("span", { class: "countdown", dataset: { ends: String(ends), label: label || "" } });
  refresh(element);
  start();
  return element;
}

function refresh(element) {
  const left = Number(element.dataset.ends) - Date.now();
  const breached = left < 0;
  element.classList.toggle("breached", breached);
  const time = duration(left);
  const text = breached ? t("sla.breached", { time }) : t("sla.left", { time });
  element.textContent = element.dataset.label ? `${element.dataset.label}: ${text}` : text;
}

function start() {
  if (timer !== null) return;
  timer = setInterval(() => {
    const shown = document.querySelectorAll(".countdown[data-ends]");
    if (!shown.length) {
      clearInterval(timer);
      timer = null;
      return;
    }
    shown.forEach(refresh);
  }, 1000);
}
