// Reading the API's case documents: the few derivations the queue and the case page share.

import { term } from "./i18n.js";

export const STEPS = ["acknowledge_apologise", "understand", "fix", "follow_up"];

export function priorityLabel(priority) {
  if (priority === null || priority === undefined || priority === "") return "";
  const text = String(priority).toUpperCase();
  return text.startsWith("P") ? text : `P${text}`;
}

export function scoreText(score) {
  if (score === null || score === undefined) return "";
  if (typeof score !== "object") return String(score);
  const value = score.value ?? "";
  if (score.type === "custom" && score.min !== undefined) return `${value} (${score.min}–${score.max})`;
  const top = { nps: 10, csat: 5, stars: 5, ces: 7 }[score.type];
  if (top) return `${value} / ${top} (${String(score.type).toUpperCase()})`;
  if (score.type === "thumbs") return term("thumbs", value);
  return String(value);
}

// The four recovery steps, done or not: the API's checklist when it sends one, else from the status.
export function recoverySteps(item) {
  const given = item.checklist || {};
  const timeline = new Set((item.timeline || []).map((event) => event.kind));
  const fallback = {
    acknowledge_apologise: item.status !== "open" && (timeline.has("apology") || timeline.has("customer_message")),
    understand: ["contacted", "note", "customer_message"].some((kind) => timeline.has(kind)),
    fix: item.status === "resolved",
    follow_up: Boolean(item.outcome),
  };
  return STEPS.map((key) => ({ key, done: Boolean(key in given ? given[key] : fallback[key]) }));
}

// Operations the case allows now: the API's list when it sends one, else the table in docs/cases.md.
export function allowedOperations(item) {
  if (Array.isArray(item.allowed)) return new Set(item.allowed);
  const table = {
    open: ["ack", "actions", "assign", "messages"],
    acknowledged: ["actions", "assign", "messages", "resolve"],
    resolved: ["messages", "reopen"],
  };
  return new Set(table[item.status] || []);
}
