// Sign-in: user name and password -> POST /v1/session -> the ID token in sessionStorage.

import * as api from "../api.js";
import { h, clear, field } from "../dom.js";
import { t } from "../i18n.js";

export function renderSignIn(main, { reason, onSignedIn }) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert", id: "sign-in-error" });
  const submit = h("button", { type: "submit", class: "primary" }, t("signIn.submit"));
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "sign-in-title", novalidate: true },
    h("h1", { id: "sign-in-title" }, t("signIn.title")),
    reason === "expired" ? h("p", { class: "notice", role: "status" }, t("signIn.expired")) : null,
    field(t("signIn.username"), username),
    field(t("signIn.password"), password),
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!username.value.trim() || !password.value) {
      error.textContent = t("signIn.missing");
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.signIn(username.value.trim(), password.value);
      onSignedIn();
    } catch (failure) {
      const refused = failure instanceof api.ApiError && [400, 401, 403].includes(failure.status);
      error.textContent = refused ? t("signIn.failed") : `${t("app.failed")} ${failure.message}`;
      submit.disabled = false;
      password.focus();
    }
  });
  clear(main).append(form);
  username.focus();
}
