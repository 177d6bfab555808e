// One case: everything GET /v1/cases/{id} returns, the recovery steps, and a form for every operation.
// Every write sends If-Match with the ETag of the GET; a 412 means someone changed the case meanwhile.

import * as api from "../api.js";
import { allowedOperations, priorityLabel, recoverySteps, scoreText } from "../cases.js";
import { h, clear, field, joined, options, setText } from "../dom.js";
import { dateTime, money, number, phrase, t, term } from "../i18n.js";
import { announce, caseLink, focusHeading, queueLink } from "../nav.js";
import { countdown } from "../sla.js";
import { isolated, isolatedList } from "../text.js";

const ACTION_TYPES = ["note", "contacted", "apology", "compensation"];
const CONTACT_CHANNELS = ["phone", "email", "sms", "chat", "in_person"];
const COMPENSATION_TYPES = ["refund", "discount", "credit", "gift", "upgrade", "other"];
const ROOT_CAUSES = [
  "product_defect",
  "service_delay",
  "wait_time",
  "staff_behaviour",
  "billing",
  "delivery",
  "communication",
  "policy",
  "technical",
  "other",
];

export async function renderCase(main, caseId, notice = null) {
  clear(main).append(h("p", { class: "loading" }, t("app.loading")));
  let answer;
  try {
    answer = await api.get(`/v1/cases/${encodeURIComponent(caseId)}`);
  } catch (error) {
    if (error.status === 401) return;
    const text = error.status === 404 ? t("case.notFound") : error.detail || error.message;
    clear(main).append(
      h("h1", {}, t("case.title", { id: caseId })),
      h("p", { class: "error", role: "alert" }, text),
      h("a", { href: "#/" }, t("case.back")),
    );
    focusHeading(main);
    return;
  }
  const item = answer.data;
  const context = { main, caseId, etag: answer.etag || `"${item.version}"`, item };
  clear(main).append(page(context, notice));
  const noticeElement = main.querySelector(".page-notice");
  if (noticeElement) noticeElement.focus();
  else focusHeading(main);
}

function page(context, notice) {
  const { item } = context;
  const priority = priorityLabel(item.priority);
  return h(
    "article",
    { class: "case", "aria-labelledby": "case-title" },
    h("p", {}, h("a", { href: queueLink({ status: item.status, team: item.team }), class: "back" }, t("case.back"))),
    h("h1", { id: "case-title" }, t("case.title", { id: item.id })),
    h(
      "p",
      { class: "badges" },
      h("span", { class: `badge priority ${priority.toLowerCase()}` }, priority),
      h("span", { class: `badge status ${item.status}`, id: "case-status" }, term("status", item.status)),
      item.repeat_failure ? h("span", { class: "badge repeat" }, t("case.repeat")) : null,
      item.sla_breached ? h("span", { class: "badge breached" }, t("case.slaBreached")) : null,
      unreachableChannels(item).map((channel) =>
        h("span", { class: "badge unreachable", dataset: { channel } }, t("case.unreachable", { channel: term("channel", channel) })),
      ),
    ),
    notice
      ? h(
          "p",
          { class: `page-notice ${notice.kind}`, role: notice.kind === "error" ? "alert" : "status", tabindex: "-1" },
          notice.text,
        )
      : null,
    item.deadline && item.status !== "resolved"
      ? h("p", {}, countdown(item, item.status === "open" ? t("sla.ack") : t("sla.resolve")))
      : null,
    facts([
      [t("case.team"), isolated(item.team)],
      [t("case.owner"), isolated(item.owner)],
      [t("case.opened"), dateTime(item.opened_at)],
      [t("case.acknowledged"), item.acked_at ? joined([dateTime(item.acked_at), isolated(item.acked_by)]) : ""],
      [t("case.resolved"), dateTime(item.resolved_at)],
      [t("case.customerTold"), item.customer_acked ? term("customerAck", item.customer_acked.split(":")[0]) : ""],
    ]),
    stepsSection(item),
    feedbackSection(item),
    customerSection(item),
    operationsSection(context),
    compensationsSection(item),
    outcomeSection(item),
    timelineSection(item),
  );
}

function section(id, title, ...content) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), content);
}

// Name and value pairs; a value someone wrote comes in isolated (text.js `isolated`, a <bdi>).
function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "" && !(Array.isArray(value) && !value.length));
  if (!shown.length) return null;
  return h("dl", { class: "facts" }, shown.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))));
}

function stepsSection(item) {
  return section(
    "steps-title",
    t("steps.title"),
    h(
      "ol",
      { class: "steps" },
      recoverySteps(item).map((step) =>
        h(
          "li",
          { class: step.done ? "done" : "todo", dataset: { step: step.key } },
          h("span", { class: "mark", "aria-hidden": "true" }, step.done ? "✓" : ""),
          h(
            "span",
            { class: "step-text" },
            h("strong", {}, t(`steps.${step.key}`)),
            h("span", { class: "visually-hidden" }, ` (${step.done ? t("steps.done") : t("steps.todo")})`),
            h("span", { class: "hint" }, t(`steps.${step.key}.hint`)),
          ),
        ),
      ),
    ),
  );
}

function feedbackSection(item) {
  const feedback = item.feedback;
  if (!feedback) return null;
  return section(
    "feedback-title",
    t("feedback.title"),
    facts([
      [t("feedback.score"), scoreText(feedback.score)],
      [t("feedback.verdict"), term("verdict", feedback.verdict)],
      [t("feedback.channel"), term("channel", feedback.channel)],
      [t("feedback.agent"), isolated(feedback.agent)],
      [t("feedback.when"), dateTime(feedback.occurred_at)],
      [t("feedback.tags"), isolatedList(feedback.tags || [])],
    ]),
    feedback.comment
      ? h("blockquote", { class: "comment", id: "feedback-comment", dir: "auto" }, feedback.comment)
      : h("p", { class: "hint" }, t("feedback.noComment")),
  );
}

function customerSection(item) {
  const customer = item.customer;
  const history = item.history || {};
  const earlierFeedback = history.feedback || [];
  const earlierCases = history.cases || [];
  const optedOut = (Array.isArray(customer?.opted_out) ? customer.opted_out : Object.keys(customer?.opted_out || {}))
    .map((channel) => term("channel", channel))
    .join(", ");
  return section(
    "customer-title",
    t("customer.title"),
    customer
      ? facts([
          [t("customer.name"), isolated(customer.name)],
          [t("customer.email"), customer.email ? h("a", { href: `mailto:${customer.email}` }, customer.email) : ""],
          [t("customer.phone"), customer.phone ? h("a", { href: `tel:${customer.phone}` }, customer.phone) : ""],
          [t("customer.language"), customer.locale],
          [t("customer.timezone"), customer.timezone],
          [t("customer.value"), customer.value ? money(customer.value.amount, customer.value.currency) : ""],
          [t("customer.optedOut"), optedOut],
          [t("customer.erased"), customer.erased ? t("customer.erasedYes") : ""],
        ])
      : h("p", { class: "hint" }, t("customer.unknown")),
    h("h3", {}, t("customer.earlierFeedback")),
    earlierFeedback.length
      ? h(
          "ul",
          { class: "history" },
          earlierFeedback.map((each) =>
            h(
              "li",
              {},
              h("span", { class: "row-meta" }, [dateTime(each.occurred_at), scoreText(each.score), term("verdict", each.verdict)].filter(Boolean).join(" · ")),
              each.comment ? h("span", { class: "row-comment", dir: "auto" }, each.comment) : null,
            ),
          ),
        )
      : h("p", { class: "hint" }, t("customer.none")),
    h("h3", {}, t("customer.earlierCases")),
    earlierCases.length
      ? h(
          "ul",
          { class: "history" },
          earlierCases.map((each) =>
            h(
              "li",
              {},
              h("a", { href: caseLink(each.id) }, t("case.title", { id: each.id })),
              h(
                "span",
                { class: "row-meta" },
                [priorityLabel(each.priority), term("status", each.status), term("outcome", each.outcome), term("rootCause", each.root_cause), dateTime(each.opened_at)]
                  .filter(Boolean)
                  .join(" · "),
              ),
            ),
          ),
        )
      : h("p", { class: "hint" }, t("customer.none")),
  );
}

function compensationsSection(item) {
  const compensations = item.compensations || [];
  if (!compensations.length) return null;
  return section(
    "compensations-title",
    t("compensations.title"),
    h(
      "ul",
      { class: "compensations" },
      compensations.map((each) =>
        h(
          "li",
          { dataset: { status: each.status || "" } },
          h("strong", {}, `${term("compensation", each.type)} · ${money(each.amount, each.currency)}`),
          h("span", { class: `badge state ${each.status || ""}` }, term("compensationState", each.status)),
          each.status === "pending" ? h("span", { class: "hint" }, t("compensations.pendingHint")) : null,
          h(
            "span",
            { class: "row-meta" },
            joined([
              phrase("timeline.by", { actor: isolated(each.by) }),
              dateTime(each.at),
              each.decided_by ? phrase("compensations.decidedBy", { actor: isolated(each.decided_by) }) : "",
            ]),
          ),
        ),
      ),
    ),
  );
}

function rating(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? scoreText(value) : String(value);
}

function outcomeSection(item) {
  const resolution = item.resolution || {};
  const ratings = item.rating || {};
  const followup = item.followup;
  if (!item.resolution && !item.outcome && !followup) return null;
  const answer = followup?.answer;
  const satisfied = answer && typeof answer.satisfied === "boolean" ? t(answer.satisfied ? "outcome.yes" : "outcome.no") : "";
  return section(
    "outcome-title",
    t("outcome.title"),
    facts([
      [t("outcome.rootCause"), term("rootCause", resolution.root_cause)],
      [t("outcome.summary"), isolated(resolution.summary)],
      [t("outcome.followup"), followup ? followupText(followup) : ""],
      [t("outcome.outcome"), term("outcome", item.outcome)],
      [t("outcome.before"), rating(ratings.before)],
      [t("outcome.after"), rating(ratings.after || answer?.score)],
      [t("outcome.delta"), change(ratings.before, ratings.after || answer?.score, ratings.delta)],
      [t("outcome.satisfied"), satisfied],
    ]),
    answer ? h("h3", {}, t("outcome.followupComment")) : null,
    answer
      ? answer.comment
        ? h("blockquote", { class: "comment", id: "followup-comment", dir: "auto" }, answer.comment)
        : h("p", { class: "hint" }, t("outcome.noFollowupComment"))
      : null,
  );
}

// How the rating moved, on its own scale: "NPS 3 → 9", "thumbs down → thumbs up"; the normalised change
// (0..1 of the scale) when the two are not on one scale.
function change(before, after, delta) {
  if (before && after && typeof before === "object" && typeof after === "object" && before.type === after.type) {
    const value = (score) => (score.type === "thumbs" ? term("thumbs", score.value) : String(score.value ?? ""));
    const type = before.type === "thumbs" ? "" : term("scoreType", before.type);
    return t("outcome.change", { type, before: value(before), after: value(after) }).trim();
  }
  return delta === null || delta === undefined ? "" : number(delta, 2);
}

function followupText(followup) {
  const when = followup.answered_at || followup.sent_at || followup.scheduled_for;
  return [term("followup", followup.state), dateTime(when), term("channel", followup.channel)].filter(Boolean).join(" · ");
}

// Who did it: a lead by name ("by lena"), the customer, an administrator, or which part of the system.
function actorText(event) {
  const by = event.by || { type: event.actor && event.actor !== "system" ? "lead" : "system", id: event.actor };
  if (by.type === "lead") return phrase("timeline.by", { actor: isolated(by.id) });
  if (by.type === "customer" || by.type === "admin") return t(`actor.${by.type}`);
  return t(`actor.${by.part || "automatic"}`);
}

// Why the system did or skipped something, in words ("no_address": "no email address or phone number").
// A lead's own reason (reopening) is shown as written.
function reasonText(event, reason) {
  if (!reason) return "";
  if (event.by?.type === "lead") return reason;
  return term("reason", String(reason).trim().replaceAll(" ", "_"));
}

// The channels the customer can no longer be reached on, from the timeline's customer_unreachable
// events (a bounce, a complaint, an SMS opt-out): shown on top of the case at once.
function unreachableChannels(item) {
  const channels = (item.timeline || [])
    .filter((event) => event.kind === "customer_unreachable" && typeof event.detail?.channel === "string")
    .map((event) => event.detail.channel);
  return [...new Set(channels)];
}

// A customer's reply, quoted as they wrote it (text only, never markup), with a line when it was shortened.
function replyQuote(info) {
  if (typeof info.text !== "string" || !info.text) return null;
  return h(
    "blockquote",
    { class: "reply", dir: "auto" },
    info.text,
    info.truncated ? h("span", { class: "hint" }, t("timeline.truncated")) : null,
  );
}

function timelineSection(item) {
  const events = [...(item.timeline || [])].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  return section(
    "timeline-title",
    t("timeline.title"),
    h(
      "ol",
      { class: "timeline" },
      events.map((event) => {
        const info = event.detail || {};
        const said = [
          info.amount ? `${term("compensation", info.type)} · ${money(info.amount, info.currency)}` : "",
          info.channel ? term("channel", info.channel) : "",
          info.root_cause ? term("rootCause", info.root_cause) : "",
          info.to && typeof info.to === "string" ? phrase("timeline.to", { to: isolated(info.to) }) : "",
          isolated(info.subject),
        ].filter(Boolean);
        const reply = event.kind === "customer_reply";
        const text = reply ? null : info.text || info.summary || reasonText(event, info.reason);
        return h(
          "li",
          { dataset: { kind: event.kind }, class: event.kind === "customer_unreachable" ? "unreachable" : null },
          h("time", { datetime: event.at }, dateTime(event.at)),
          h("strong", {}, term("event", event.kind)),
          h("span", { class: "actor" }, actorText(event)),
          said.length ? h("span", { class: "row-meta" }, joined(said)) : null,
          text ? h("span", { class: "row-comment", dir: "auto" }, text) : null,
          reply ? replyQuote(info) : null,
        );
      }),
    ),
  );
}

// ------------------------------------------------------------------ operations

function operationsSection(context) {
  const allowed = allowedOperations(context.item);
  const forms = [];
  if (allowed.has("ack")) forms.push(ackForm(context));
  if (allowed.has("actions")) forms.push(actionForm(context));
  if (allowed.has("assign")) forms.push(assignForm(context));
  if (allowed.has("messages")) forms.push(messageForm(context));
  if (allowed.has("resolve")) forms.push(resolveForm(context));
  if (allowed.has("reopen")) forms.push(reopenForm(context));
  return section("work-title", t("work.title"), forms.length ? forms : h("p", { class: "hint" }, t("work.nothing")));
}

// A form that posts one operation; `body()` returns the JSON body, or a string to show as an error.
function operationForm(context, { name, title, submitLabel, fields, body, open = false }) {
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h("form", { class: "operation", dataset: { operation: name }, novalidate: true }, fields, error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const payload = body();
    if (typeof payload === "string") {
      error.textContent = payload;
      return;
    }
    submit.disabled = true;
    try {
      await api.post(`/v1/cases/${encodeURIComponent(context.caseId)}/${name}`, payload, context.etag);
      const done = t(`work.${name}.done`);
      announce(done);
      await renderCase(context.main, context.caseId, { kind: "ok", text: done });
    } catch (failure) {
      submit.disabled = false;
      if (failure.status === 401) return;
      if (failure.status === 412) {
        await renderCase(context.main, context.caseId, { kind: "error", text: t("work.changed") });
        return;
      }
      setText(error, problemText(failure));
    }
  });
  if (!title) return form;
  return h("details", { class: "operation-box", open }, h("summary", {}, title), form);
}

// A problem document as one line: its detail, then each field's complaint ("/amount: at most 2 decimals").
function problemText(failure) {
  const parts = [failure.detail || failure.title || failure.message];
  for (const each of failure.errors || []) parts.push([each.pointer, each.detail].filter(Boolean).join(": "));
  const text = parts.filter(Boolean).join(" — ");
  return failure.status === 409 ? `${t("work.conflict")} ${text}` : text;
}

function ackForm(context) {
  return operationForm(context, {
    name: "ack",
    submitLabel: t("work.ack.submit"),
    fields: h("p", { class: "hint" }, t("work.ack.hint")),
    body: () => ({}),
  });
}

function textArea(name, required = false) {
  return h("textarea", { name, rows: "3", required, maxlength: "4000" });
}

function actionForm(context) {
  const type = h("select", { name: "type" }, options(ACTION_TYPES.map((each) => [each, term("action", each)]), "note"));
  const channel = h("select", { name: "channel" }, options(CONTACT_CHANNELS.map((each) => [each, term("channel", each)]), "phone"));
  const kind = h("select", { name: "compensation_type" }, options(COMPENSATION_TYPES.map((each) => [each, term("compensation", each)]), "refund"));
  const amount = h("input", { name: "amount", inputmode: "decimal", autocomplete: "off", placeholder: "25.00" });
  const currency = h("input", { name: "currency", value: lastCurrency(context.item), maxlength: "3", autocomplete: "off", class: "short" });
  const text = textArea("text");
  const channelField = field(t("work.action.channel"), channel);
  const compensationFields = h(
    "fieldset",
    { class: "compensation-fields" },
    h("legend", {}, t("work.action.compensation")),
    field(t("work.action.compensationType"), kind),
    field(t("work.action.amount"), amount, t("work.action.amountHint")),
    field(t("work.action.currency"), currency, t("work.action.currencyHint")),
  );
  const toggle = () => {
    channelField.hidden = type.value !== "contacted";
    compensationFields.hidden = type.value !== "compensation";
  };
  type.addEventListener("change", toggle);
  toggle();
  return operationForm(context, {
    name: "actions",
    title: t("work.action.title"),
    submitLabel: t("work.action.submit"),
    fields: [field(t("work.action.type"), type), channelField, compensationFields, field(t("work.action.text"), text)],
    body: () => {
      const payload = { type: type.value, text: text.value.trim() };
      if (type.value === "note" && !payload.text) return t("work.action.textMissing");
      if (type.value === "contacted") payload.channel = channel.value;
      if (type.value === "compensation") {
        const value = amount.value.trim().replace(",", ".");
        const code = currency.value.trim().toUpperCase();
        if (!/^\d+(\.\d{1,2})?$/.test(value)) return t("work.action.amountInvalid");
        if (!/^[A-Z]{3}$/.test(code)) return t("work.action.currencyInvalid");
        payload.compensation = { type: kind.value, amount: value, currency: code };
      }
      return payload;
    },
  });
}

function lastCurrency(item) {
  return (item.compensations || []).at(-1)?.currency || "EUR";
}

function assignForm(context) {
  const contacts = context.item.assignable || [];
  const to = contacts.length
    ? h("select", { name: "to" }, options(contacts.map((each) => [each.id, each.name ? `${each.name} (${each.id})` : each.id]), context.item.owner))
    : h("input", { name: "to", autocomplete: "off", autocapitalize: "none" });
  return operationForm(context, {
    name: "assign",
    title: t("work.assign.title"),
    submitLabel: t("work.assign.submit"),
    fields: field(t("work.assign.to"), to, contacts.length ? null : t("work.assign.hint")),
    body: () => (to.value.trim() ? { to: to.value.trim() } : t("work.assign.missing")),
  });
}

function messageForm(context) {
  const customer = context.item.customer || {};
  const available = ["email", "sms"].filter((each) => (each === "email" ? customer.email : customer.phone));
  if (!available.length) return h("p", { class: "hint" }, t("work.message.noAddress"));
  const channel = h("select", { name: "channel" }, options(available.map((each) => [each, term("channel", each)]), available[0]));
  const subject = h("input", { name: "subject", maxlength: "200" });
  const text = textArea("text", true);
  const subjectField = field(t("work.message.subject"), subject);
  const toggle = () => {
    subjectField.hidden = channel.value !== "email";
  };
  channel.addEventListener("change", toggle);
  toggle();
  return operationForm(context, {
    name: "messages",
    title: t("work.message.title"),
    submitLabel: t("work.message.submit"),
    fields: [field(t("work.message.channel"), channel), subjectField, field(t("work.message.text"), text, t("work.message.hint"))],
    body: () => {
      if (!text.value.trim()) return t("work.message.textMissing");
      const payload = { channel: channel.value, text: text.value.trim() };
      if (channel.value === "email") payload.subject = subject.value.trim() || t("work.message.defaultSubject");
      return payload;
    },
  });
}

function resolveForm(context) {
  const causes = context.item.root_causes || ROOT_CAUSES;
  const cause = h(
    "select",
    { name: "root_cause" },
    h("option", { value: "" }, t("work.resolve.choose")),
    options(causes.map((each) => [each, term("rootCause", each)]), ""),
  );
  const summary = textArea("summary", true);
  return operationForm(context, {
    name: "resolve",
    title: t("work.resolve.title"),
    submitLabel: t("work.resolve.submit"),
    fields: [field(t("work.resolve.rootCause"), cause), field(t("work.resolve.summary"), summary)],
    body: () => {
      if (!cause.value) return t("work.resolve.causeMissing");
      if (!summary.value.trim()) return t("work.resolve.summaryMissing");
      return { root_cause: cause.value, summary: summary.value.trim() };
    },
  });
}

function reopenForm(context) {
  const reason = textArea("reason", true);
  return operationForm(context, {
    name: "reopen",
    title: t("work.reopen.title"),
    submitLabel: t("work.reopen.submit"),
    fields: field(t("work.reopen.reason"), reason),
    body: () => (reason.value.trim() ? { reason: reason.value.trim() } : t("work.reopen.reasonMissing")),
  });
}
