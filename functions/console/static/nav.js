// Small helpers the views share: links between them and messages for screen readers.

export function queueLink({ status, team }) {
  const query = new URLSearchParams({ status });
  if (team) query.set("team", team);
  return `#/?${query}`;
}

export function caseLink(caseId) {
  return `#/cases/${encodeURIComponent(caseId)}`;
}

// Said by screen readers (a polite live region); what is shown stays on the page too.
export function announce(text) {
  const region = document.getElementById("announce");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// Focus a view's heading after it renders, so keyboard and screen-reader users start there.
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

export function sourcesLink() {
  return "#/sources";
}

export function deliveriesLink(sourceId) {
  return `#/sources/${encodeURIComponent(sourceId)}`;
}

export function dashboardLink({ team, from, to, group } = {}) {
  const query = new URLSearchParams();
  if (team) query.set("team", team);
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  if (group) query.set("group", group);
  const text = query.toString();
  return text ? `#/dashboard?${text}` : "#/dashboard";
}
