// The dashboard: GET /v1/reports/dashboard for one team and date range (the API's default: the last 30
// days in the team's time zone), drawn as headline numbers and charts. Every chart opens the cases
// behind what was clicked (GET /v1/reports/cases with the matching filter); the table under each chart
// holds the same figures with a button per row, so the drill-down works by keyboard too.

import * as api from "../api.js";
import { priorityLabel } from "../cases.js";
import { disposeCharts, drawChart, loadCharts } from "../charts.js";
import { h, clear, field, joined, options, setText } from "../dom.js";
import { dateTime, locale, phrase, t, term } from "../i18n.js";
import { announce, caseLink, dashboardLink, focusHeading } from "../nav.js";
import { isolated, shown } from "../text.js";

const HEADLINE = [
  "volume",
  "negative_rate",
  "alerted_within_1m",
  "alert_p90_s",
  "ack_in_sla_rate",
  "resolve_in_sla_rate",
  "followup_response_rate",
  "recovery_rate",
  "nps_after_recovered",
];
const SHARES = new Set(["negative_rate", "alerted_within_1m", "ack_in_sla_rate", "resolve_in_sla_rate", "followup_response_rate", "recovery_rate"]);
const SECONDS = new Set(["alert_p90_s"]);
const LOWER_IS_BETTER = new Set(["negative_rate", "alert_p90_s"]);
const STEPS = ["negative", "alerted", "acknowledged", "resolved", "followed_up", "answered", "recovered"];
const FILTERABLE = new Set(["agent", "tag", "channel", "source", "cause"]); // group dimensions /cases takes
const CONTROL_GROUP = /^(tag|agent):./; // the groups a control chart can be drawn for (`group=`)
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const SEARCH_PAGES = 10; // pages the drill-down reads on while they hold no match
const COLOURS = { accent: "#0b5cad", before: "#8c959f", danger: "#b42318", warn: "#b35900", ok: "#1a7f37" };

export async function renderDashboard(main, state) {
  disposeCharts();
  clear(main).append(h("p", { class: "loading" }, t("app.loading")));
  const { data: me } = await api.get("/v1/me");
  const teams = (me.teams || []).map((team) => (typeof team === "string" ? { id: team, name: team } : team));
  const choices = me.admin ? [...teams, { id: "all", name: t("dashboard.allTeams") }] : teams;
  const team = choices.find((each) => each.id === state.team)?.id || teams[0]?.id || (me.admin ? "all" : "");
  const range = { from: DAY.test(state.from) ? state.from : "", to: DAY.test(state.to) ? state.to : "" };
  const group = CONTROL_GROUP.test(state.group || "") ? state.group : "";

  const message = h("p", { class: "notice", role: "status" });
  const body = h("div", { class: "dashboard-body" });
  const picker = filters(choices, team, range, group);
  const teamName = choices.find((each) => each.id === team)?.name || team;
  clear(main).append(
    h(
      "section",
      { class: "dashboard", "aria-labelledby": "dashboard-title" },
      h("h1", { id: "dashboard-title" }, teamName ? phrase("dashboard.titleTeam", { team: isolated(teamName) }) : t("dashboard.title")),
      picker.form,
      message,
      body,
    ),
  );
  focusHeading(main);
  if (!team) {
    message.textContent = t("dashboard.noTeam");
    return;
  }

  let report;
  let echarts;
  try {
    [{ data: report }, echarts] = await Promise.all([
      api.get("/v1/reports/dashboard", { team, from: range.from, to: range.to, group }),
      loadCharts(),
    ]);
  } catch (error) {
    if (error.status === 401) return;
    setText(message, error.status === 403 ? t("dashboard.forbidden") : error.detail || error.message);
    return;
  }
  picker.from.value = report.from || "";
  picker.to.value = report.to || "";
  const context = { echarts, report, query: { team, from: report.from, to: report.to }, group, drill: drillPanel() };
  body.append(
    h("p", { class: "hint", id: "dashboard-range" }, t("dashboard.range", { from: report.from, to: report.to, timezone: report.timezone || "UTC" })),
    headline(report),
  );
  const sections = [
    ["funnel", t("dashboard.funnel"), t("dashboard.funnelHint"), funnel],
    ["value", t("dashboard.value"), t("dashboard.valueHint"), valueAtStake],
    ["closing", t("dashboard.closing"), t("dashboard.closingHint"), closedOnTime],
    ["scores", t("dashboard.scores"), t("dashboard.scoresHint"), scores],
    ["heatmap", t("dashboard.heatmap"), t("dashboard.heatmapHint", { timezone: report.timezone || "UTC" }), heatmap],
    ["control", t("dashboard.control"), t("dashboard.controlHint"), control],
    ["causes", t("dashboard.causes"), t("dashboard.causesHint"), pareto],
    ["categories", t("dashboard.categories"), t("dashboard.categoriesHint"), categories],
  ];
  for (const [key, title, hint, draw] of sections) {
    const section = h(
      "section",
      { class: "card chart-card", id: `chart-${key}`, "aria-labelledby": `chart-${key}-title`, dataset: { chart: key } },
      h("h2", { id: `chart-${key}-title` }, title),
      h("p", { class: "hint" }, hint),
    );
    body.append(section);
    draw(section, context);
  }
  body.append(anomalies(report, context));
  if (group) document.getElementById("chart-control")?.scrollIntoView({ block: "start" });
  announce(t("dashboard.loaded"));
}

// --- the team and date range --------------------------------------------------------------------

function filters(choices, team, range, group) {
  const select = h("select", { name: "team" }, options(choices.map((each) => [each.id, each.name || each.id]), team));
  const from = h("input", { type: "date", name: "from", value: range.from });
  const to = h("input", { type: "date", name: "to", value: range.to });
  const error = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "dashboard-filters", novalidate: true },
    choices.length > 1 ? field(t("dashboard.team"), select) : null,
    h("div", { class: "range" }, field(t("dashboard.from"), from), field(t("dashboard.to"), to)),
    error,
    h("button", { type: "submit", class: "primary" }, t("dashboard.show")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (from.value && to.value && from.value > to.value) {
      error.textContent = t("dashboard.badRange");
      from.focus();
      return;
    }
    error.textContent = "";
    // The control chart's group is kept while the team is: another team has other tags and agents.
    const kept = select.value === team ? group : "";
    location.hash = dashboardLink({ team: select.value, from: from.value, to: to.value, group: kept });
  });
  return { form, from, to };
}

// --- headline numbers ---------------------------------------------------------------------------

function headline(report) {
  const figures = report.headline || {};
  return h(
    "section",
    { class: "headline", "aria-labelledby": "headline-title" },
    h("h2", { id: "headline-title" }, t("dashboard.headline")),
    h("p", { class: "hint" }, report.previous ? t("dashboard.previous", { from: report.previous.from, to: report.previous.to }) : null),
    h(
      "dl",
      { class: "figures" },
      HEADLINE.filter((metric) => metric in figures).map((metric) => {
        const figure = figures[metric] || {};
        return h(
          "div",
          { class: "figure", dataset: { metric } },
          h("dt", {}, t(`metric.${metric}`)),
          h("dd", { class: "value" }, formatMetric(metric, figure.value)),
          SECONDS.has(metric) && figure.bucket ? h("dd", { class: "hint resolution" }, resolution(figure.bucket)) : null,
          h("dd", { class: `change ${trend(metric, figure.change)}` }, changeText(metric, figure)),
        );
      }),
    ),
  );
}

function formatMetric(metric, value) {
  if (value === null || value === undefined || value === "") return t("dashboard.noValue");
  const figure = Number(value);
  if (SHARES.has(metric)) return percent(figure);
  if (SECONDS.has(metric)) return seconds(figure);
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(figure);
}

// A duration with its unit: "13 s" under a minute and a half, "2.5 min" under 90 minutes, then hours.
function seconds(value, digits = 1) {
  const [amount, unit] = value < 90 ? [value, "second"] : value < 5400 ? [value / 60, "minute"] : [value / 3600, "hour"];
  const places = unit === "second" ? 0 : digits;
  return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: places }).format(amount);
}

// The histogram bucket a percentile lies in: its resolution ("in the bucket 0–15 s").
function resolution(bucket) {
  const from = seconds(Number(bucket.from_s) || 0, 1);
  if (bucket.to_s === null || bucket.to_s === undefined) return t("dashboard.bucketOpen", { from });
  return t("dashboard.bucket", { from, to: seconds(Number(bucket.to_s), 1) });
}

function changeText(metric, figure) {
  if (figure.change === null || figure.change === undefined) return t("dashboard.noChange");
  const change = Number(figure.change);
  const signed = { signDisplay: "exceptZero", maximumFractionDigits: 1 };
  if (SHARES.has(metric)) {
    const points = new Intl.NumberFormat(locale(), signed).format(change * 100);
    return t("dashboard.changePoints", { change: points });
  }
  if (figure.relative !== null && figure.relative !== undefined) {
    const relative = new Intl.NumberFormat(locale(), { ...signed, style: "percent" }).format(Number(figure.relative));
    return t("dashboard.change", { change: relative });
  }
  return t("dashboard.change", { change: new Intl.NumberFormat(locale(), signed).format(change) });
}

// "better", "worse" or "same", for the colour of a change (a lower negative rate is better).
function trend(metric, change) {
  const value = Number(change);
  if (change === null || change === undefined || !value) return "same";
  return value > 0 !== LOWER_IS_BETTER.has(metric) ? "better" : "worse";
}

function percent(share) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(share);
}

// --- charts -------------------------------------------------------------------------------------

// A chart block and, under it, its figures as a table with a "show cases" button on each row.
// `buttons` ([[text, filterOf], ...]) puts several drill-downs on a row; `pick` may then answer
// [row, index of the button whose cases a click on the chart opens].
function chartWithTable(section, context, { option, rows, columns, filterOf, pick, label, buttons }) {
  if (!rows.length) {
    section.append(h("p", { class: "notice" }, t("dashboard.empty")));
    return;
  }
  const drills = buttons || [[t("dashboard.showCases"), filterOf]];
  const canvas = h("div", { class: "chart", role: "img", "aria-label": label });
  section.append(canvas, dataTable(section, context, columns, rows, drills));
  drawChart(context.echarts, canvas, option, (params) => {
    const picked = pick(params);
    const [row, index] = Array.isArray(picked) ? picked : [picked, 0];
    if (row) openDrill(section, context, drills[index][1](row));
  });
}

function dataTable(section, context, columns, rows, drills) {
  return h(
    "details",
    { class: "chart-data" },
    h("summary", {}, t("dashboard.data")),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, columns.map(([name]) => h("th", { scope: "col" }, name)), h("th", { scope: "col", colspan: drills.length }, t("dashboard.cases")))),
        h(
          "tbody",
          {},
          rows.map((row) =>
            h(
              "tr",
              {},
              columns.map(([, value], index) => h(index ? "td" : "th", index ? {} : { scope: "row" }, value(row))),
              drills.map(([text, filterOf]) =>
                h("td", {}, h("button", { type: "button", class: "drill-button", onclick: () => openDrill(section, context, filterOf(row)) }, text)),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function funnel(section, context) {
  const counts = new Map((context.report.funnel || []).map((step) => [step.step, Number(step.count) || 0]));
  const rows = STEPS.filter((step) => counts.has(step)).map((step) => ({ step, count: counts.get(step) }));
  const total = rows.some((row) => row.count > 0);
  chartWithTable(section, context, {
    rows: total ? rows : [],
    label: t("dashboard.funnel"),
    columns: [
      [t("dashboard.step"), (row) => term("step", row.step)],
      [t("dashboard.count"), (row) => count(row.count)],
    ],
    filterOf: (row) => ({ step: row.step, label: term("step", row.step) }),
    pick: (params) => rows[params.dataIndex],
    option: {
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map((row) => term("step", row.step)) },
      series: [
        {
          type: "bar",
          name: t("dashboard.count"),
          data: rows.map((row) => row.count),
          itemStyle: { color: COLOURS.accent },
          label: { show: true, position: "right" },
          cursor: "pointer",
        },
      ],
    },
  });
}

// The value at stake beside the funnel: per currency, the customer value of the cases opened (at risk),
// of the customers recovered (retained), the compensation given and net. Amounts are decimal strings
// from the API; each currency stays apart (nothing is converted).
const VALUE_FIGURES = [
  ["at_risk", "dashboard.atRisk"],
  ["retained", "dashboard.retained"],
  ["compensation", "dashboard.compensation"],
  ["net", "dashboard.net"],
];

function valueAtStake(section, context) {
  const byCurrency = context.report.value || {};
  const currencies = Object.keys(byCurrency).sort();
  if (!currencies.length) {
    section.append(h("p", { class: "notice" }, t("dashboard.valueEmpty")));
    return;
  }
  // One column per currency and one row per figure: a team deals in one to three currencies, so the table
  // fits a phone's width without scrolling sideways.
  section.append(
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "value-table" },
        h("thead", {}, h("tr", {}, h("td", {}), currencies.map((currency) => h("th", { scope: "col", class: "amount" }, currency)))),
        h(
          "tbody",
          {},
          VALUE_FIGURES.map(([name, label]) =>
            h(
              "tr",
              { dataset: { figure: name } },
              h("th", { scope: "row" }, t(label)),
              currencies.map((currency) => {
                const amount = (byCurrency[currency] || {})[name];
                const worse = name === "net" && Number(amount) < 0;
                return h("td", { class: worse ? "amount worse" : "amount", dataset: { currency } }, money(amount, currency));
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

// Closed on time: of the cases closed in the period, the share closed within the team's target on the
// wall clock (weekends included, as the customer lives it) and in the team's business hours, each
// against the goal (`closed_within_target`; the goal is left out for teams with different targets).
const CLOSING_FIGURES = [
  ["share", "dashboard.closingWall"],
  ["business_share", "dashboard.closingBusiness"],
];

function closedOnTime(section, context) {
  const closing = context.report.closed_within_target || {};
  if (closing.share === null || closing.share === undefined) {
    section.append(h("p", { class: "notice" }, t("dashboard.closingEmpty")));
    return;
  }
  const known = (value) => value !== null && value !== undefined;
  const goal = known(closing.target_share) && known(closing.target_hours) ? Number(closing.target_share) : null;
  section.append(
    h(
      "dl",
      { class: "figures closing" },
      CLOSING_FIGURES.map(([name, label]) => {
        const share = closing[name];
        const met = goal === null || !known(share) ? "same" : Number(share) >= goal ? "better" : "worse";
        return h(
          "div",
          { class: "figure", dataset: { figure: name } },
          h("dt", {}, t(label)),
          h("dd", { class: "value" }, known(share) ? percent(Number(share)) : t("dashboard.noValue")),
          goal === null ? null : h("dd", { class: `change ${met}` }, t("dashboard.closingGoal", { share: percent(goal), hours: count(Number(closing.target_hours)) })),
        );
      }),
    ),
  );
}

// An amount in its currency, in the lead's language; the plain number when the code is unknown here.
function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return t("dashboard.noValue");
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(Number(amount));
  } catch {
    return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(Number(amount))} ${currency}`;
  }
}

function scores(section, context) {
  const byType = context.report.scores || {};
  const types = Object.keys(byType).filter((type) => {
    const { before = {}, after = {} } = byType[type] || {};
    return Object.keys(before).length || Object.keys(after).length;
  });
  if (!types.length) {
    section.append(h("p", { class: "notice" }, t("dashboard.empty")));
    return;
  }
  for (const type of types) {
    const { before = {}, after = {} } = byType[type];
    const values = sortScores([...new Set([...Object.keys(before), ...Object.keys(after)])]);
    const rows = values.map((value) => ({ type, value, before: Number(before[value] || 0), after: Number(after[value] || 0) }));
    const part = h("div", { class: "score-type", dataset: { scoreType: type } }, h("h3", {}, t("dashboard.scoreType", { type: scoreTypeName(type) })));
    section.append(part);
    chartWithTable(part, context, {
      rows,
      label: t("dashboard.scoreType", { type: scoreTypeName(type) }),
      columns: [
        [t("dashboard.score"), (row) => row.value],
        [t("dashboard.before"), (row) => count(row.before)],
        [t("dashboard.after"), (row) => count(row.after)],
      ],
      // A bar lists the answered cases with that rating before (grey) or after (blue) recovery.
      buttons: [
        [t("dashboard.showBefore"), (row) => ({ score: `${type}:${row.value}`, when: "before", label: t("dashboard.scoreBefore", { type: scoreTypeName(type), value: row.value }) })],
        [t("dashboard.showAfter"), (row) => ({ score: `${type}:${row.value}`, when: "after", label: t("dashboard.scoreAfter", { type: scoreTypeName(type), value: row.value }) })],
      ],
      pick: (params) => [rows[params.dataIndex], params.seriesIndex === 1 ? 1 : 0],
      option: {
        grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        legend: { top: 0 },
        xAxis: { type: "category", data: values },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { type: "bar", name: t("dashboard.before"), data: rows.map((row) => row.before), itemStyle: { color: COLOURS.before }, cursor: "pointer" },
          { type: "bar", name: t("dashboard.after"), data: rows.map((row) => row.after), itemStyle: { color: COLOURS.accent }, cursor: "pointer" },
        ],
      },
    });
  }
}

function sortScores(values) {
  const numeric = values.every((value) => !Number.isNaN(Number(value)));
  return numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

function scoreTypeName(type) {
  return ["nps", "csat", "ces"].includes(type) ? type.toUpperCase() : term("scoreType", type);
}

function heatmap(section, context) {
  const cells = (context.report.heatmap || []).filter((cell) => Number(cell.negatives) > 0);
  const days = weekdayNames("short");
  const longDays = weekdayNames("long");
  const rows = [...cells].sort((a, b) => a.weekday - b.weekday || a.hour - b.hour);
  const highest = Math.max(1, ...rows.map((cell) => Number(cell.negatives)));
  const cellLabel = (cell) => t("dashboard.cell", { weekday: longDays[cell.weekday], hour: hourSpan(cell.hour) });
  chartWithTable(section, context, {
    rows,
    label: t("dashboard.heatmap"),
    columns: [
      [t("dashboard.when"), cellLabel],
      [t("dashboard.negatives"), (cell) => count(cell.negatives)],
      [t("dashboard.volume"), (cell) => count(cell.volume)],
    ],
    filterOf: (cell) => ({ weekday: cell.weekday, hour: cell.hour, label: cellLabel(cell) }),
    pick: (params) => rows.find((cell) => cell.hour === params.data[0] && cell.weekday === params.data[1]),
    option: {
      grid: { left: 4, right: 8, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: [...Array(24).keys()].map(String), splitArea: { show: true } },
      yAxis: { type: "category", data: days, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: highest,
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 120,
        inRange: { color: ["#fdecea", COLOURS.danger] },
      },
      series: [
        {
          type: "heatmap",
          name: t("dashboard.negatives"),
          data: rows.map((cell) => [cell.hour, cell.weekday, Number(cell.negatives)]),
          cursor: "pointer",
        },
      ],
    },
  });
}

// Weekday names Monday first (the API's weekday 0), in the lead's language.
function weekdayNames(width) {
  const format = new Intl.DateTimeFormat(locale(), { weekday: width, timeZone: "UTC" });
  return [...Array(7).keys()].map((day) => format.format(Date.UTC(2024, 0, 1 + day))); // 2024-01-01 was a Monday
}

function hourSpan(hour) {
  const two = (n) => String(n).padStart(2, "0");
  return `${two(hour)}:00–${two((hour + 1) % 24)}:00`;
}

function control(section, context) {
  const chart = context.report.control || {};
  const points = chart.points || [];
  const group = chart.group || {};
  const groupFilter = FILTERABLE.has(group.dimension) && group.value ? { [group.dimension]: group.value } : {};
  const days = points.map((point) => point.day);
  const zone = context.report.timezone || "UTC";
  const releases = (context.report.markers || [])
    .map((marker) => ({ marker, day: localDay(marker.at, zone) }))
    .filter(({ day }) => days.includes(day));
  section.append(groupPicker(context));
  if (group.dimension && group.dimension !== "team") {
    section.append(h("p", { class: "hint", id: "control-group" }, phrase("dashboard.controlGroup", { dimension: term("dimension", group.dimension), value: isolated(group.value) })));
  }
  const rate = (value) => (value === null || value === undefined ? null : Number(value) * 100);
  chartWithTable(section, context, {
    rows: points.some((point) => Number(point.volume) > 0) ? points : [],
    label: t("dashboard.control"),
    columns: [
      [t("dashboard.day"), (point) => point.day],
      [t("dashboard.volume"), (point) => count(point.volume)],
      [t("dashboard.negatives"), (point) => count(point.negatives)],
      [t("dashboard.rate"), (point) => (point.rate === null || point.rate === undefined ? t("dashboard.noValue") : percent(Number(point.rate)))],
      [t("dashboard.limit"), (point) => (point.limit === null || point.limit === undefined ? t("dashboard.noValue") : percent(Number(point.limit)))],
    ],
    filterOf: (point) => ({ from: point.day, to: point.day, ...groupFilter, label: t("dashboard.dayFilter", { day: point.day }) }),
    pick: (params) => (params.componentType === "series" && params.seriesIndex === 0 ? points[params.dataIndex] : null),
    option: {
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: days, boundaryGap: false },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value} %" } },
      series: [
        {
          type: "line",
          name: t("dashboard.rate"),
          data: points.map((point) => rate(point.rate)),
          itemStyle: { color: COLOURS.accent },
          symbolSize: 8,
          cursor: "pointer",
          markLine: {
            symbol: "none",
            silent: true,
            lineStyle: { color: COLOURS.warn, type: "solid" },
            label: { formatter: (params) => params.name, position: "insideEndTop" },
            // Drawn on a canvas, not through dom.js: made safe to show here.
            data: releases.map(({ marker, day }) => ({ name: shown(`${marker.component} ${marker.version}`), xAxis: day })),
          },
        },
        { type: "line", name: t("dashboard.centre"), data: points.map((point) => rate(point.centre)), showSymbol: false, lineStyle: { type: "dashed", color: COLOURS.ok }, itemStyle: { color: COLOURS.ok } },
        { type: "line", name: t("dashboard.limit"), data: points.map((point) => rate(point.limit)), showSymbol: false, lineStyle: { type: "dashed", color: COLOURS.danger }, itemStyle: { color: COLOURS.danger } },
      ],
    },
  });
  if (releases.length) {
    section.append(
      h(
        "ul",
        { class: "markers", "aria-label": t("dashboard.markers") },
        releases.map(({ marker }) => h("li", {}, phrase("dashboard.marker", { component: isolated(marker.component), version: isolated(marker.version), at: dateTime(marker.at) }))),
      ),
    );
  }
}

// The group whose control chart is drawn: the whole team, or one of the tags and agents with feedback
// in the period (the groups the anomaly check watches). A choice reloads the dashboard with `group=`.
function groupPicker(context) {
  const listed = (context.report.control_groups || []).map((each) => `${each.dimension}:${each.value}`);
  if (context.group && !listed.includes(context.group)) listed.unshift(context.group);
  const name = (key) => {
    const [dimension, ...rest] = key.split(":");
    return t("dashboard.anomalyGroup", { dimension: term("dimension", dimension), value: rest.join(":") });
  };
  const select = h("select", { name: "group" }, options([["", t("dashboard.wholeTeam")], ...listed.map((key) => [key, name(key)])], context.group));
  select.addEventListener("change", () => {
    location.hash = dashboardLink({ ...context.query, group: select.value });
  });
  return h("div", { class: "control-group" }, field(t("dashboard.controlFor"), select));
}

// The local date (YYYY-MM-DD) of an instant in a time zone.
function localDay(iso, zone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
  } catch {
    return iso.slice(0, 10);
  }
}

function pareto(section, context) {
  const rows = (context.report.causes || []).filter((cause) => Number(cause.count) > 0);
  const name = (cause) => term("rootCause", cause.cause);
  chartWithTable(section, context, {
    rows,
    label: t("dashboard.causes"),
    columns: [
      [t("dashboard.cause"), name],
      [t("dashboard.count"), (cause) => count(cause.count)],
      [t("dashboard.share"), (cause) => percent(Number(cause.share))],
      [t("dashboard.cumulative"), (cause) => percent(Number(cause.cumulative))],
    ],
    filterOf: (cause) => ({ cause: cause.cause, label: t("dashboard.causeFilter", { cause: name(cause) }) }),
    pick: (params) => rows[params.dataIndex],
    option: {
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0 },
      xAxis: { type: "category", data: rows.map(name), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
      ],
      series: [
        { type: "bar", name: t("dashboard.count"), data: rows.map((cause) => Number(cause.count)), itemStyle: { color: COLOURS.accent }, cursor: "pointer" },
        {
          type: "line",
          name: t("dashboard.cumulative"),
          yAxisIndex: 1,
          data: rows.map((cause) => Math.round(Number(cause.cumulative) * 1000) / 10),
          itemStyle: { color: COLOURS.warn },
          cursor: "pointer",
        },
      ],
    },
  });
}

// Root causes by cause-and-effect category: one bar per category (most resolved cases first), split
// into its causes; a segment, or a row of the table, lists the cases with that root cause.
function categories(section, context) {
  const groups = (context.report.causes_by_category || []).filter((group) => Number(group.count) > 0);
  const rows = groups.flatMap((group) => (group.causes || []).map((cause) => ({ category: group.category, cause: cause.cause, count: Number(cause.count) })));
  const name = (row) => term("rootCause", row.cause);
  const palette = [COLOURS.accent, COLOURS.warn, COLOURS.ok, COLOURS.danger, COLOURS.before, "#6639ba", "#1b7c83", "#9a6700", "#bf3989", "#57606a"];
  chartWithTable(section, context, {
    rows,
    label: t("dashboard.categories"),
    columns: [
      [t("dashboard.category"), (row) => term("causeCategory", row.category)],
      [t("dashboard.cause"), name],
      [t("dashboard.count"), (row) => count(row.count)],
    ],
    filterOf: (row) => ({ cause: row.cause, label: t("dashboard.causeFilter", { cause: name(row) }) }),
    pick: (params) => rows[params.seriesIndex],
    option: {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: groups.map((group) => term("causeCategory", group.category)) },
      series: rows.map((row, index) => ({
        type: "bar",
        stack: "causes",
        name: name(row),
        data: groups.map((group) => (group.category === row.category ? row.count : null)),
        itemStyle: { color: palette[index % palette.length] },
        label: { show: true, formatter: name(row), color: "#fff", overflow: "truncate" },
        cursor: "pointer",
      })),
    },
  });
}

function anomalies(report, context) {
  const open = (report.anomalies || []).filter((anomaly) => anomaly.open !== false);
  const section = h(
    "section",
    { class: "card", id: "anomalies", "aria-labelledby": "anomalies-title" },
    h("h2", { id: "anomalies-title" }, t("dashboard.anomalies")),
  );
  if (!open.length) {
    section.append(h("p", { class: "hint" }, t("dashboard.noAnomalies")));
    return section;
  }
  section.append(
    h(
      "ul",
      { class: "anomalies" },
      open.map((anomaly) => {
        const group = { dimension: term("dimension", anomaly.dimension), value: anomaly.value };
        const filter = FILTERABLE.has(anomaly.dimension) ? { [anomaly.dimension]: anomaly.value } : {};
        const chartOf = CONTROL_GROUP.test(`${anomaly.dimension}:${anomaly.value}`) ? `${anomaly.dimension}:${anomaly.value}` : "";
        return h(
          "li",
          { dataset: { dimension: anomaly.dimension } },
          h("span", { class: "row-title" }, phrase("dashboard.anomalyGroup", { ...group, value: isolated(anomaly.value) })),
          h(
            "span",
            { class: "row-meta" },
            t("dashboard.anomalyFacts", {
              since: dateTime(anomaly.since),
              rate: anomaly.rate === null || anomaly.rate === undefined ? t("dashboard.noValue") : percent(Number(anomaly.rate)),
              limit: anomaly.limit === null || anomaly.limit === undefined ? t("dashboard.noValue") : percent(Number(anomaly.limit)),
            }),
          ),
          anomaly.marker
            ? h("span", { class: "row-meta cause" }, phrase("dashboard.likelyCause", { component: isolated(anomaly.marker.component), version: isolated(anomaly.marker.version), at: dateTime(anomaly.marker.at) }))
            : null,
          h(
            "span",
            { class: "row-actions" },
            h(
              "button",
              { type: "button", class: "drill-button", onclick: () => openDrill(section, context, { ...filter, label: t("dashboard.anomalyGroup", group) }) },
              t("dashboard.showCases"),
            ),
            h(
              "a",
              { class: "control-link", href: dashboardLink({ ...context.query, group: chartOf }), "aria-label": `${t("dashboard.controlLink")}: ${t("dashboard.anomalyGroup", group)}` },
              t("dashboard.controlLink"),
            ),
          ),
        );
      }),
    ),
  );
  return section;
}

function count(value) {
  return new Intl.NumberFormat(locale()).format(Number(value) || 0);
}

// --- drill-down ---------------------------------------------------------------------------------

function drillPanel() {
  const title = h("h2", { id: "drill-title", tabindex: "-1" });
  const list = h("ul", { class: "cases", "aria-labelledby": "drill-title" });
  const message = h("p", { class: "notice", role: "status" });
  const more = h("button", { type: "button", class: "more", hidden: true }, t("dashboard.more"));
  const close = h("button", { type: "button", class: "close" }, t("dashboard.close"));
  const element = h("section", { class: "card drill", id: "drill", hidden: true, "aria-labelledby": "drill-title" }, h("div", { class: "drill-head" }, title, close), message, list, more);
  const panel = { element, title, list, message, more, origin: null, load: null };
  close.addEventListener("click", () => {
    element.hidden = true;
    panel.origin?.querySelector("h2, h3")?.setAttribute("tabindex", "-1");
    panel.origin?.querySelector("h2, h3")?.focus();
  });
  more.addEventListener("click", () => panel.load?.());
  return panel;
}

// Lists the cases behind a chart element under the chart's section, page by page.
async function openDrill(section, context, filter) {
  const panel = context.drill;
  const { label, ...query } = filter;
  panel.origin = section.closest(".card") || section;
  panel.origin.after(panel.element);
  panel.element.hidden = false;
  panel.element.dataset.filter = new URLSearchParams(query).toString();
  setText(panel.title, t("dashboard.drillTitle", { filter: label }));
  clear(panel.list);
  panel.message.textContent = t("app.loading");
  panel.more.hidden = true;
  panel.title.focus();
  if (context.query.team === "all") {
    panel.load = null;
    panel.message.textContent = t("dashboard.pickTeam");
    return;
  }
  let cursor = null;
  const load = async () => {
    panel.more.disabled = true;
    try {
      // A narrow filter over a long period can answer a page with no match yet and a cursor: read on.
      let items = [];
      for (let pages = 0; pages < SEARCH_PAGES; pages += 1) {
        const { data } = await api.get("/v1/reports/cases", { ...context.query, ...query, cursor });
        if (panel.load !== load) return; // another drill-down replaced this one meanwhile
        items = data.cases || [];
        cursor = data.next_cursor || null;
        if (items.length || !cursor) break;
      }
      panel.list.append(...items.map(caseRow));
      panel.more.hidden = !cursor;
      panel.message.textContent = panel.list.children.length ? "" : t("dashboard.noCases");
      announce(t("dashboard.casesShown", { count: panel.list.children.length }));
    } catch (error) {
      if (error.status !== 401 && panel.load === load) setText(panel.message, error.detail || error.message);
    } finally {
      panel.more.disabled = false;
    }
  };
  panel.load = load;
  await load();
}

function caseRow(item) {
  const priority = priorityLabel(item.priority);
  const meta = [term("status", item.status), term("channel", item.channel), isolated(item.agent), dateTime(item.opened_at)];
  return h(
    "li",
    { class: "case-row", dataset: { caseId: item.id } },
    h(
      "a",
      { href: caseLink(item.id) },
      h(
        "span",
        { class: "row-head" },
        priority ? h("span", { class: `badge priority ${priority.toLowerCase()}` }, priority) : null,
        item.repeat_failure ? h("span", { class: "badge repeat" }, t("case.repeat")) : null,
        h("span", { class: "row-title" }, t("case.title", { id: item.id })),
      ),
      h("span", { class: "row-meta" }, joined(meta)),
    ),
  );
}
