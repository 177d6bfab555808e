// The console's entry: language, sign-in state and the views (#/ the queue, #/cases/<id> a case,
// #/dashboard the team's dashboard; for admins #/sources and #/sources/<id> a source's delivery log).

import * as api from "./api.js";
import { LANGUAGES, currentLanguage, preferredLanguage, setLanguage, t, translatePage } from "./i18n.js";
import { h, clear, options, setText } from "./dom.js";
import { disposeCharts } from "./charts.js";
import { renderDashboard } from "./views/dashboard.js";
import { renderSignIn } from "./views/signin.js";
import { renderQueue } from "./views/queue.js";
import { renderCase } from "./views/case.js";
import { renderDeliveries, renderSources } from "./views/sources.js";

const main = document.getElementById("main");
const languagePicker = document.getElementById("language");
const signOutButton = document.getElementById("sign-out");
const who = document.getElementById("who");
const sourcesNav = document.getElementById("nav-sources");
const dashboardNav = document.getElementById("nav-dashboard");
let signInReason = "";

function queueState() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  return { status: query.get("status") || "open", team: query.get("team") || "" };
}

function dashboardState() {
  const query = new URLSearchParams(location.hash.split("?")[1] || "");
  return { team: query.get("team") || "", from: query.get("from") || "", to: query.get("to") || "", group: query.get("group") || "" };
}

async function route() {
  translatePage();
  document.title = t("app.name");
  const signedIn = api.signedIn();
  signOutButton.hidden = !signedIn;
  setText(who, signedIn ? api.userName() : "");
  sourcesNav.hidden = !(signedIn && api.isAdmin());
  dashboardNav.hidden = !signedIn;
  disposeCharts();
  if (!signedIn) {
    renderSignIn(main, { reason: signInReason, onSignedIn: () => { signInReason = ""; route(); } });
    return;
  }
  const match = location.hash.match(/^#\/cases\/([^/?]+)/);
  const source = location.hash.match(/^#\/sources\/([^/?]+)/);
  try {
    if (match) await renderCase(main, decodeURIComponent(match[1]));
    else if (source) await renderDeliveries(main, decodeURIComponent(source[1]));
    else if (location.hash.startsWith("#/sources")) await renderSources(main);
    else if (location.hash.startsWith("#/dashboard")) await renderDashboard(main, dashboardState());
    else await renderQueue(main, queueState());
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) return; // already back at sign-in
    clear(main).append(h("p", { class: "error", role: "alert" }, t("app.failed"), " ", error.detail || error.message));
  }
}

function fillLanguages() {
  clear(languagePicker);
  languagePicker.append(...options(Object.entries(LANGUAGES), currentLanguage()));
}

async function start() {
  await setLanguage(preferredLanguage());
  fillLanguages();
  languagePicker.addEventListener("change", async () => {
    await setLanguage(languagePicker.value, true);
    route();
  });
  signOutButton.addEventListener("click", () => api.signOut("signed-out"));
  api.onSignedOut((reason) => {
    signInReason = reason;
    if (location.hash.startsWith("#/cases/") || location.hash.startsWith("#/sources")) history.replaceState(null, "", "#/");
    route();
  });
  document.getElementById("skip").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", () => {
    if (location.hash === "" || location.hash.startsWith("#/")) route();
  });
  await route();
}

start().catch((error) => {
  clear(main).append(h("p", { class: "error", role: "alert" }, t("app.failed"), " ", String(error.message)));
});
