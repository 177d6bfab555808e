// The queue: GET /v1/me, then GET /v1/cases for one team and status, most urgent first.

import * as api from "../api.js";
import { priorityLabel, scoreText } from "../cases.js";
import { h, clear, field, joined, options, setText } from "../dom.js";
import { dateTime, phrase, t, term } from "../i18n.js";
import { announce, caseLink, focusHeading, queueLink } from "../nav.js";
import { countdown } from "../sla.js";
import { isolated } from "../text.js";

const STATUSES = ["open", "acknowledged", "resolved"];
const PAGE = 25;

export async function renderQueue(main, state) {
  clear(main).append(h("p", { class: "loading" }, t("app.loading")));
  const { data: me } = await api.get("/v1/me");
  const teams = (me.teams || []).map((team) => (typeof team === "string" ? { id: team, name: team } : team));
  const team = teams.find((each) => each.id === state.team)?.id || teams[0]?.id || "";
  const status = STATUSES.includes(state.status) ? state.status : "open";

  const list = h("ul", { class: "cases", "aria-labelledby": "queue-title" });
  const more = h("button", { type: "button", class: "more", hidden: true }, t("queue.more"));
  const message = h("p", { class: "notice", role: "status" });
  const teamName = teams.find((each) => each.id === team)?.name || team;
  clear(main).append(
    h(
      "section",
      { class: "queue", "aria-labelledby": "queue-title" },
      h("h1", { id: "queue-title" }, teamName ? phrase("queue.titleTeam", { team: isolated(teamName) }) : t("queue.title")),
      teams.length > 1 ? teamPicker(teams, team, status) : null,
      h(
        "nav",
        { class: "tabs", "aria-label": t("queue.statuses") },
        STATUSES.map((each) =>
          h(
            "a",
            { href: queueLink({ status: each, team }), "aria-current": each === status ? "page" : false },
            term("status", each),
          ),
        ),
      ),
      message,
      list,
      more,
    ),
  );
  focusHeading(main);
  if (!teams.length) {
    message.textContent = t("queue.noTeam");
    return;
  }

  let cursor = null;
  const load = async () => {
    more.disabled = true;
    try {
      const { data } = await api.get("/v1/cases", { status, team, limit: PAGE, cursor });
      const items = data.items || [];
      list.append(...items.map(row));
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      message.textContent = list.children.length ? "" : t(`queue.empty.${status}`);
      if (items.length) announce(t("queue.loaded", { count: list.children.length }));
    } catch (error) {
      if (error.status !== 401) setText(message, error.detail || error.message);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
}

function teamPicker(teams, team, status) {
  const select = h("select", { name: "team" }, options(teams.map((each) => [each.id, each.name || each.id]), team));
  select.addEventListener("change", () => {
    location.hash = queueLink({ status, team: select.value });
  });
  return h("div", { class: "team-picker" }, field(t("queue.team"), select));
}

// Who the case is about: their name, else their email or phone as the API masks it, else "without a name".
function who(item) {
  const customer = item.customer || {};
  if (customer.name) return isolated(customer.name);
  if (customer.contact) return h("bdi", { dir: "ltr" }, customer.contact);
  return t("queue.unnamed");
}

function row(item) {
  const priority = priorityLabel(item.priority);
  const meta = [term("channel", item.channel), isolated(item.agent), item.owner ? phrase("case.ownerIs", { owner: isolated(item.owner) }) : "", dateTime(item.opened_at)];
  return h(
    "li",
    { class: "case-row", dataset: { caseId: item.id } },
    h(
      "a",
      { href: caseLink(item.id) },
      h(
        "span",
        { class: "row-head" },
        h("span", { class: `badge priority ${priority.toLowerCase()}` }, priority),
        item.repeat_failure ? h("span", { class: "badge repeat" }, t("case.repeat")) : null,
        item.pending_approvals ? h("span", { class: "badge pending" }, t("case.pendingApproval")) : null,
        h("span", { class: "row-title row-who" }, who(item)),
        item.score ? h("span", { class: "badge score" }, scoreText(item.score)) : null,
      ),
      item.comment ? h("span", { class: "row-comment", dir: "auto" }, item.comment) : null,
      h("span", { class: "row-meta" }, joined(meta)),
    ),
    item.deadline && item.status !== "resolved"
      ? countdown(item, item.status === "open" ? t("sla.ack") : t("sla.resolve"))
      : null,
    item.status === "resolved"
      ? h("span", { class: "row-meta" }, [t("case.resolvedAt", { when: dateTime(item.resolved_at) }), term("outcome", item.outcome)].filter(Boolean).join(" · "))
      : null,
  );
}
