// The home view: coins table (latest price per source, 24 h change, spread, 7-day sparkline) and the runs
// of the last day, from ONE GraphQL request.

import { graphql } from "./graphql.js";
import { SOURCES, el, key, pct, sourceName, usd } from "./format.js";
import { RUN_FIELDS, runsSection } from "./runs_table.js";
import { sparkline } from "./sparkline.js";

const COINS = 50;
const RUNS = 100;
const SPARK_DAYS = 7;
// One aliased `series` per source (enum literals: valid before and after any String→enum change of outputs).
const SERIES = SOURCES.map(
  (s) => `${s}: series(source: ${s.toUpperCase()}, from: $since, interval: HOUR) { timestamps priceUsd }`,
).join("\n        ");

export const HOME_QUERY = `query Dashboard($since: DateTime!) {
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

function spreadBadge(spread) {
  if (!spread) return el("span", { class: "muted", title: "fewer than two sources close in time" }, "—");
  const stale = spread.staleSources.length ? `; stale: ${spread.staleSources.map(sourceName).join(", ")}` : "";
  return el(
    "span",
    { class: spread.flagged ? "badge badge-alert" : "badge", title: `${spread.sources} sources compared${stale}` },
    pct(spread.pct, false),
  );
}

function coinRow(coin) {
  const latest = latestBySource(coin);
  const newest = coin.latestPrices.reduce((a, b) => (!a || Date.parse(b.observedAt) > Date.parse(a.observedAt) ? b : a), null);
  const change = newest?.change24hPct ?? null;
  const spark = SOURCES.map((s) => [s, coin[s]]).reduce((best, cur) => (cur[1].timestamps.length > best[1].timestamps.length ? cur : best));
  return el(
    "tr",
    { class: "coin", "data-coin": coin.canonicalId },
    el("td", { class: "symbol" }, el("a", { href: `#/coin/${encodeURIComponent(coin.canonicalId)}` }, coin.symbol)),
    el("td", {}, coin.name),
    SOURCES.map((s) =>
      el("td", { class: "num price", "data-source": s, title: latest[s] ? `observed ${latest[s].observedAt}` : null }, usd(latest[s]?.priceUsd)),
    ),
    el("td", { class: `num change ${change > 0 ? "up" : change < 0 ? "down" : ""}`, title: newest ? `${sourceName(newest.source)}` : null }, pct(change)),
    el("td", { class: "spread" }, spreadBadge(coin.spread)),
    el("td", { class: "spark", title: sourceName(spark[0]) }, sparkline(spark[1].timestamps, spark[1].priceUsd, `${coin.symbol} price, last ${SPARK_DAYS} days (${sourceName(spark[0])})`)),
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
  const shown = coins.nodes.length < coins.totalCount ? ` (top ${coins.nodes.length} of ${coins.totalCount} by rank)` : "";
  return el(
    "section",
    { id: "coins" },
    el("h2", {}, "Coins ", el("span", { class: "muted" }, shown || `(${coins.totalCount})`)),
    el("table", { class: "coins" }, el("thead", {}, head), el("tbody", {}, coins.nodes.map(coinRow))),
  );
}

/** Render the home view into `root`. */
export async function renderHome(root) {
  const now = Date.now();
  const since = new Date(now - SPARK_DAYS * 24 * 3600 * 1000).toISOString();
  const data = await graphql(HOME_QUERY, { since });
  root.replaceChildren(coinsSection(data.coins), runsSection(data.runs.nodes, now, data.runs.pageInfo.hasNextPage));
}
