// Display rules shared by the views: source names, USD prices, percentages, times.

export const SOURCES = ["coingecko", "coinpaprika", "csv"];
const SOURCE_NAMES = { coingecko: "CoinGecko", coinpaprika: "CoinPaprika", csv: "CSV" };

/** A source or status value as a lowercase key: the API sends `coingecko` or the enum `COINGECKO`. */
export const key = (value) => String(value ?? "").toLowerCase();

export const sourceName = (source) => SOURCE_NAMES[key(source)] ?? String(source);

/** USD with precision that suits the magnitude (0.000012 and 43,210.55 both readable). */
export function usd(value) {
  if (value === null || value === undefined) return "—";
  const digits = Math.abs(value) >= 1 ? 2 : Math.abs(value) >= 0.01 ? 4 : 8;
  return "$" + value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(value, signed = true) {
  if (value === null || value === undefined) return "—";
  const text = value.toFixed(2) + "%";
  return signed && value > 0 ? "+" + text : text;
}

export const count = (value) => (value ?? 0).toLocaleString("en-US");

/** An ISO instant as `YYYY-MM-DD HH:MM UTC`. */
export function utc(iso) {
  if (!iso) return "—";
  return new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function seconds(value) {
  if (value === null || value === undefined) return "—";
  return value < 60 ? `${value.toFixed(1)} s` : `${(value / 60).toFixed(1)} min`;
}

/** Build an element: el("td", {class: "num"}, "text", child, …). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
