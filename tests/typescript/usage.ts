// A browser or Node app's use of the generated client (tests/api/test_typescript_client.py): every route,
// parameter and field below is checked by tsc against generated/api.d.ts, made from /openapi.json by
// openapi-typescript; then it runs against the served app and prints what it read as JSON.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type Problem = components["schemas"]["Problem"];

const baseUrl = process.argv[2];
if (!baseUrl) throw new Error("usage: node dist/usage.js http://127.0.0.1:8000");
const api = createClient<paths>({ baseUrl });

/** The fields a client reads from a problem document (RFC 9457, every REST error). */
function problemSummary(problem: Problem): { status: number; title: string; detail: string; parameter: string | null; requestId: string } {
  return {
    status: problem.status,
    title: problem.title,
    detail: problem.detail,
    parameter: problem.parameter ?? null,
    requestId: problem.request_id,
  };
}

const coin = await api.GET("/coins/{canonical_id}", { params: { path: { canonical_id: "bitcoin" } } });
if (!coin.data) throw new Error(`GET /coins/bitcoin: ${coin.response.status}`);
const latest: Record<string, number> = {};
for (const price of coin.data.latest_prices) latest[price.source] = price.price_usd;

const page = await api.GET("/data", { params: { query: { symbol: "ETH", limit: 2 } } });
if (!page.data) throw new Error(`GET /data: ${page.response.status}`);
const ethPrices: number[] = page.data.data.map((row) => row.price_usd);
const nextCursor: string | null | undefined = page.data.next_cursor;

const runs = await api.GET("/runs", { params: { query: { status: "failed", limit: 5 } } });
if (!runs.data) throw new Error(`GET /runs: ${runs.response.status}`);
const failed = runs.data.data.map((run) => ({ source: run.source, error: run.error, read: run.read }));

const missing = await api.GET("/coins/{canonical_id}", { params: { path: { canonical_id: "no-such-coin" } } });
const tooMany = await api.GET("/data", { params: { query: { limit: 10_000 } } });

console.log(
  JSON.stringify({
    coin: { canonicalId: coin.data.canonical_id, symbol: coin.data.symbol, latest },
    ethPrices,
    hasNextPage: nextCursor != null,
    failed,
    missing: missing.error ? problemSummary(missing.error) : null,
    tooMany: tooMany.error ? problemSummary(tooMany.error) : null,
  }),
);
