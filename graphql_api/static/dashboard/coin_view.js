// The coin page (#/coin/<canonicalId>): latest price per source, its source ids, and a uPlot price chart
// per source, from ONE GraphQL request.

import { graphql } from "./graphql.js";
import { SOURCES, el, key, pct, sourceName, usd, utc } from "./format.js";

// Hourly averages of the whole history: a year is 8,760 points, under the API's 10,000 per series.
const SERIES = SOURCES.map(
  (s) => `${s}: series(source: ${s.toUpperCase()}, interval: HOUR) { points timestamps priceUsd }`,
).join("\n    ");

export const COIN_QUERY = `query CoinPage($canonicalId: String!) {
  coin(canonicalId: $canonicalId) {
    canonicalId symbol name
    sources { source sourceCoinId matchMethod }
    latestPrices { source observedAt priceUsd marketCapUsd volume24hUsd change24hPct rank }
    spread { pct flagged absUsd sources staleSources }
    ${SERIES}
  }
}`;

function latestTable(coin) {
  const ids = Object.fromEntries(coin.sources.map((s) => [key(s.source), s]));
  const rows = coin.latestPrices.map((p) => {
    const id = ids[key(p.source)];
    return el(
      "tr",
      { "data-source": key(p.source) },
      el("td", {}, sourceName(p.source)),
      el("td", { class: "mono" }, id ? id.sourceCoinId : "—"),
      el("td", {}, id ? key(id.matchMethod) : "—"),
      el("td", { class: "num price" }, usd(p.priceUsd)),
      el("td", { class: "num" }, pct(p.change24hPct)),
      el("td", { class: "num" }, usd(p.marketCapUsd)),
      el("td", { class: "num" }, usd(p.volume24hUsd)),
      el("td", {}, utc(p.observedAt)),
    );
  });
  const head = ["Source", "Source id", "Matched by", "Price", "24 h", "Market cap", "Volume 24 h", "Observed"];
  return el(
    "table",
    { class: "latest" },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        head.map((h) => el("th", {}, h)),
      ),
    ),
    el("tbody", {}, rows),
  );
}

function chart(source, series, width) {
  const box = el(
    "figure",
    { class: "chart", "data-source": source, "data-points": series.points },
    el("figcaption", {}, `${sourceName(source)} · ${series.points} points (hourly averages)`),
  );
  // uPlot is the global of the vendored static/uplot/dist/uPlot.iife.min.js.
  const plot = new uPlot(
    {
      width,
      height: 240,
      scales: { x: { time: true } },
      series: [
        {},
        { label: `${sourceName(source)} USD`, stroke: "#1565c0", width: 1.5, points: { show: series.points < 60 } },
      ],
      axes: [{}, { values: (u, ticks) => ticks.map((v) => usd(v)), size: 90 }],
    },
    [series.timestamps, series.priceUsd],
    box,
  );
  box.dataset.drawn = String(plot.data[1].filter((v) => v !== null).length);
  return box;
}

/** Render the coin page of `canonicalId` into `root`. */
export async function renderCoin(root, canonicalId) {
  const { coin } = await graphql(COIN_QUERY, { canonicalId });
  if (!coin) {
    root.replaceChildren(
      el("p", { class: "error" }, `No coin "${canonicalId}".`),
      el("a", { href: "#/" }, "← all coins"),
    );
    return;
  }
  const spread = coin.spread
    ? el(
        "p",
        {},
        "Spread between sources: ",
        el("span", { class: coin.spread.flagged ? "badge badge-alert" : "badge" }, pct(coin.spread.pct, false)),
        ` (${usd(coin.spread.absUsd)})`,
      )
    : el("p", { class: "muted" }, "No cross-source spread (fewer than two sources close in time).");
  const charts = el("div", { class: "charts" });
  root.replaceChildren(
    el("a", { href: "#/" }, "← all coins"),
    el("h2", {}, `${coin.name} `, el("span", { class: "muted" }, `${coin.symbol} · ${coin.canonicalId}`)),
    latestTable(coin),
    spread,
    charts,
  );
  const width = Math.max(320, Math.min(1100, root.clientWidth - 20));
  const withPoints = SOURCES.filter((s) => coin[s].points > 0);
  if (!withPoints.length) charts.append(el("p", { class: "muted" }, "No prices stored yet."));
  for (const source of withPoints) charts.append(chart(source, coin[source], width));
}
