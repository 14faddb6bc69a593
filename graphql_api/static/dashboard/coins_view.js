// The home view: coins table (latest price per source, 24 h change, spread, 30-day sparkline) and the runs
// of the last day, from ONE GraphQL request.

import { graphql } from "./graphql.js";
import { SOURCES, el, key, pct, sourceName, usd } from "./format.js";
import { RUN_FIELDS, runsSection } from "./runs_table.js";
import { sparkline } from "./sparkline.js";

const COINS = 50;
const RUNS = 100;
const SPARK_DAYS = 30;
// One aliased `series` per source (enum literals), the newest SPARK_DAYS daily averages (`last`): the sparkline
// draws the SPARK_DAYS before each series' newest point, so a source whose data stopped (or replayed demo data
// of another year) still shows its last trend, and the query's cost stays bounded (50 coins × 3 × 30 points).
const SERIES = SOURCES.map(
  (s) => `${s}: series(source: ${s.toUpperCase()}, interval: DAY, last: ${SPARK_DAYS}) { timestamps priceUsd }`,
).join("\n      ");

export const HOME_QUERY = `query Dashboard {
  coins(first: ${COINS}, orderBy: { field: RANK, direction: ASC }) {
    totalCount
    nodes {
      canonicalId symbol name
      latestPrices { source observedAt priceUsd change24hPct }
      spread { pct flagged sources staleSources }
      ${SERIES}
    }
  }
  runs(first: ${RUNS}) { pageInfo { hasNextPage } nodes { ${RUN_FIELDS} } }
}`;

function latestBySource(coin) {
  return Object.fromEntries(coin.latestPrices.map((price) => [key(price.source), price]));
}

/** The points of `series` within SPARK_DAYS of its newest one. */
function lastDays(series) {
  const newest = series.timestamps[series.timestamps.length - 1];
  const start = series.timestamps.findIndex((t) => t >= newest - SPARK_DAYS * 86400);
  return start < 0
    ? { timestamps: [], priceUsd: [] }
    : { timestamps: series.timestamps.slice(start), priceUsd: series.priceUsd.slice(start) };
}

// A stale source is left out of the spread (models/spread.py): say so beside the badge, not only in its tooltip,
// or "0.00 %" between two agreeing sources hides a third that stopped updating.
function spreadBadge(spread) {
  if (!spread) return el("span", { class: "muted", title: "fewer than two sources close in time" }, "—");
  const stale = spread.staleSources.map(sourceName).join(", ");
  const badge = el(
    "span",
    {
      class: spread.flagged ? "badge badge-alert" : "badge",
      title: `${spread.sources} sources compared${stale ? `; stale, left out: ${stale}` : ""}`,
    },
    pct(spread.pct, false),
  );
  if (!stale) return badge;
  return [badge, el("span", { class: "stale", title: "its latest price is too old to compare" }, ` ${stale} stale`)];
}

function coinRow(coin) {
  const latest = latestBySource(coin);
  const newest = coin.latestPrices.reduce(
    (a, b) => (!a || Date.parse(b.observedAt) > Date.parse(a.observedAt) ? b : a),
    null,
  );
  const change = newest?.change24hPct ?? null;
  // The source with the most points in its last SPARK_DAYS (the first in SOURCES order on a tie).
  const [sparkSource, spark] = SOURCES.map((s) => [s, lastDays(coin[s])]).reduce((best, cur) =>
    cur[1].timestamps.length > best[1].timestamps.length ? cur : best,
  );
  const sparkEnd = spark.timestamps.length
    ? new Date(spark.timestamps[spark.timestamps.length - 1] * 1000).toISOString().slice(0, 10)
    : "";
  const sparkLabel = `${coin.symbol} daily price, ${SPARK_DAYS} days to ${sparkEnd} (${sourceName(sparkSource)})`;
  return el(
    "tr",
    { class: "coin", "data-coin": coin.canonicalId },
    el("td", { class: "symbol" }, el("a", { href: `#/coin/${encodeURIComponent(coin.canonicalId)}` }, coin.symbol)),
    el("td", {}, coin.name),
    SOURCES.map((s) =>
      el(
        "td",
        { class: "num price", "data-source": s, title: latest[s] ? `observed ${latest[s].observedAt}` : null },
        usd(latest[s]?.priceUsd),
      ),
    ),
    el(
      "td",
      {
        class: `num change ${change > 0 ? "up" : change < 0 ? "down" : ""}`,
        title: newest ? `${sourceName(newest.source)}` : null,
      },
      pct(change),
    ),
    el("td", { class: "spread" }, spreadBadge(coin.spread)),
    el("td", { class: "spark", title: sparkLabel }, sparkline(spark.timestamps, spark.priceUsd, sparkLabel)),
  );
}

function coinsSection(coins) {
  const head = el(
    "tr",
    {},
    el("th", {}, "Symbol"),
    el("th", {}, "Name"),
    SOURCES.map((s) => el("th", { class: "num" }, sourceName(s))),
    el("th", { class: "num" }, "24 h"),
    el("th", {}, "Spread"),
    el("th", {}, `${SPARK_DAYS} days`),
  );
  const shown =
    coins.nodes.length < coins.totalCount ? ` (top ${coins.nodes.length} of ${coins.totalCount} by rank)` : "";
  const title = el("h2", {}, "Coins ", el("span", { class: "muted" }, shown || `(${coins.totalCount})`));
  if (!coins.totalCount) return el("section", { id: "coins" }, title, emptyNotice());
  return el(
    "section",
    { id: "coins" },
    title,
    el("table", { class: "coins" }, el("thead", {}, head), el("tbody", {}, coins.nodes.map(coinRow))),
  );
}

const EMPTY_RELOAD_S = 10;

function emptyNotice() {
  return el(
    "p",
    { class: "empty", role: "status" },
    "No coins yet: nothing has been ingested into this database. ",
    el("code", {}, "make run"),
    " (",
    el("code", {}, "coinflow up --offline"),
    ") starts a first ingest of every source from the local replay server; against the real APIs run ",
    el("code", {}, "coinflow ingest --source all"),
    `. The runs below show its progress; this page reloads every ${EMPTY_RELOAD_S} s until the first prices land.`,
  );
}

/** Render the home view into `root`. */
export async function renderHome(root) {
  const data = await graphql(HOME_QUERY);
  if (!data.coins.totalCount) {
    // Through the router (app.js listens to hashchange), so a failed reload shows its one-line error.
    setTimeout(() => {
      if (document.body.dataset.view === "home") window.dispatchEvent(new HashChangeEvent("hashchange"));
    }, EMPTY_RELOAD_S * 1000);
  }
  root.replaceChildren(
    coinsSection(data.coins),
    runsSection(data.runs.nodes, Date.now(), data.runs.pageInfo.hasNextPage),
  );
}
