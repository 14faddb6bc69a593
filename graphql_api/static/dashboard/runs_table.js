// The runs of the last day: status (failed and crashed in red), counts, and the Prefect flow run link.

import { count, el, key, seconds, sourceName, utc } from "./format.js";

export const RUN_FIELDS = `source stream status startedAt durationS read valid rejected inserted updated
  unchanged error flowRunId prefectUrl`;
const DAY_MS = 24 * 3600 * 1000;

/** Rows of `runs` (newest first) started within 24 h of `now`, as a section with a table. */
export function runsSection(runs, now, capped) {
  const recent = runs.filter((run) => now - Date.parse(run.startedAt) <= DAY_MS);
  const title = el("h2", {}, "Runs of the last day ", el("span", { class: "muted" }, `(${recent.length})`));
  if (!recent.length)
    return el("section", { id: "runs" }, title, el("p", { class: "muted" }, "No run started in the last 24 hours."));
  const head = el(
    "tr",
    {},
    [
      "Source",
      "Stream",
      "Status",
      "Started",
      "Duration",
      "Read",
      "Valid",
      "Rejected",
      "Inserted",
      "Updated",
      "Unchanged",
      "Prefect",
    ].map((name, i) => el("th", { class: i >= 4 && i <= 10 ? "num" : null }, name)),
  );
  const rows = recent.map((run) => {
    const status = key(run.status);
    return el(
      "tr",
      { class: `run run-${status}`, "data-source": key(run.source) },
      el("td", {}, sourceName(run.source)),
      el("td", { class: "mono" }, run.stream),
      el(
        "td",
        {},
        el("span", { class: `status status-${status}`, title: run.error }, status),
        run.error ? el("div", { class: "error" }, run.error) : null,
      ),
      el("td", {}, utc(run.startedAt)),
      el("td", { class: "num" }, seconds(run.durationS)),
      ["read", "valid", "rejected", "inserted", "updated", "unchanged"].map((name) =>
        el("td", { class: name === "rejected" && run.rejected ? "num warn" : "num" }, count(run[name])),
      ),
      el(
        "td",
        {},
        run.prefectUrl
          ? el("a", { href: run.prefectUrl, target: "_blank", rel: "noopener" }, "flow run ↗")
          : el(
              "span",
              {
                class: "muted",
                title: run.flowRunId ? "no Prefect UI configured (COINFLOW_PREFECT_UI_URL)" : "not run by Prefect",
              },
              "—",
            ),
      ),
    );
  });
  const note = capped ? el("p", { class: "muted" }, "Showing the newest 100 runs.") : null;
  return el(
    "section",
    { id: "runs" },
    title,
    el("table", { class: "runs" }, el("thead", {}, head), el("tbody", {}, rows)),
    note,
  );
}
