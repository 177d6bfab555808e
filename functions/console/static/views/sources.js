// Sources (admins only): GET /v1/sources, and a source's delivery log from
// GET /v1/sources/<id>/deliveries, newest first, older pages with the cursor.

import * as api from "../api.js";
import { h, clear, setText } from "../dom.js";
import { dateTime, t, term } from "../i18n.js";
import { announce, caseLink, deliveriesLink, focusHeading, sourcesLink } from "../nav.js";

const PAGE = 25;

export async function renderSources(main) {
  clear(main).append(h("p", { class: "loading" }, t("app.loading")));
  const message = h("p", { class: "notice", role: "status" });
  let items = [];
  try {
    const { data } = await api.get("/v1/sources");
    items = data.items || [];
  } catch (error) {
    if (error.status === 401) return;
    setText(message, error.status === 403 ? t("sources.forbidden") : error.detail || error.message);
  }
  if (!items.length && !message.textContent) message.textContent = t("sources.empty");
  clear(main).append(
    h(
      "section",
      { class: "sources", "aria-labelledby": "sources-title" },
      h("h1", { id: "sources-title" }, t("sources.title")),
      h("p", { class: "hint" }, t("sources.hint")),
      message,
      items.length ? h("ul", { class: "source-list", "aria-labelledby": "sources-title" }, items.map(sourceRow)) : null,
    ),
  );
  focusHeading(main);
}

function sourceRow(source) {
  return h(
    "li",
    { class: "source-row", dataset: { sourceId: source.id } },
    h("a", { href: deliveriesLink(source.id) }, h("span", { class: "row-title" }, source.name || source.id)),
    facts([
      [t("sources.id"), h("code", { text: source.id })],
      [t("sources.preset"), source.preset],
      [t("sources.hookUrl"), h("code", { class: "wrap", text: source.hook_url })],
    ]),
  );
}

export async function renderDeliveries(main, sourceId) {
  const list = h("ol", { class: "delivery-log", "aria-labelledby": "deliveries-title" });
  const more = h("button", { type: "button", class: "more", hidden: true }, t("deliveries.more"));
  const message = h("p", { class: "notice", role: "status" });
  clear(main).append(
    h(
      "section",
      { class: "deliveries", "aria-labelledby": "deliveries-title" },
      h("p", {}, h("a", { href: sourcesLink() }, t("deliveries.back"))),
      h("h1", { id: "deliveries-title" }, t("deliveries.title", { source: sourceId })),
      h("p", { class: "hint" }, t("deliveries.hint")),
      message,
      list,
      more,
    ),
  );
  focusHeading(main);

  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const { data } = await api.get(`/v1/sources/${encodeURIComponent(sourceId)}/deliveries`, {
        limit: PAGE,
        cursor,
      });
      const entries = data.items || [];
      list.append(...entries.map(entryRow));
      cursor = data.cursor || null;
      more.hidden = !cursor;
      message.textContent = list.children.length ? "" : t("deliveries.empty");
      if (entries.length) announce(t("deliveries.loaded", { count: list.children.length }));
    } catch (error) {
      if (error.status === 401) return;
      if (error.status === 403) message.textContent = t("sources.forbidden");
      else if (error.status === 404) setText(message, t("deliveries.unknown", { source: sourceId }));
      else setText(message, error.detail || error.message);
      more.hidden = true;
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
}

function entryRow(entry) {
  const accepted = entry.status >= 200 && entry.status < 300;
  return h(
    "li",
    { class: `delivery-row ${accepted ? "accepted" : "refused"}`, dataset: { outcome: entry.outcome } },
    h(
      "span",
      { class: "row-head" },
      h("span", { class: `badge ${accepted ? "ok" : "refused"}` }, `HTTP ${entry.status}`),
      h("span", { class: "row-title" }, term("deliveryOutcome", entry.outcome)),
      h("time", { datetime: entry.received_at, class: "row-meta" }, dateTime(entry.received_at)),
    ),
    facts([
      [t("deliveries.reason"), h("span", { class: "reason", text: entry.reason || t("deliveries.noReason") })],
      [t("deliveries.deliveryId"), entry.delivery_id ? h("code", { class: "wrap", text: entry.delivery_id }) : null],
      [t("deliveries.feedback"), entry.feedback_id ? h("code", { class: "wrap", text: entry.feedback_id }) : null],
      [t("deliveries.case"), entry.case_id ? h("a", { href: caseLink(entry.case_id), text: t("case.title", { id: entry.case_id }) }) : null],
    ]),
  );
}

// Name and value pairs as a definition list; pairs without a value are left out.
function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "facts" }, shown.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))));
}
