// A price sparkline as an inline SVG polyline: 50 rows need no chart library instance each.

import { el } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 120;
const HEIGHT = 32;
const PAD = 2;

/**
 * An <svg> of `prices` (numbers, null where missing) against `timestamps` (epoch seconds),
 * green when the last point is at or above the first, red below; "—" without two points.
 */
export function sparkline(timestamps, prices, label) {
  const points = timestamps.map((t, i) => [t, prices[i]]).filter(([, p]) => p !== null && p !== undefined);
  if (points.length < 2) return el("span", { class: "muted", title: "fewer than two points" }, "—");
  const [t0, t1] = [points[0][0], points[points.length - 1][0]];
  const values = points.map(([, p]) => p);
  const [low, high] = [Math.min(...values), Math.max(...values)];
  const x = (t) => PAD + ((t - t0) / (t1 - t0 || 1)) * (WIDTH - 2 * PAD);
  const y = (p) => HEIGHT - PAD - ((p - low) / (high - low || 1)) * (HEIGHT - 2 * PAD);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("width", WIDTH);
  svg.setAttribute("height", HEIGHT);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("class", "sparkline " + (values[values.length - 1] >= values[0] ? "up" : "down"));
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.map(([t, p]) => `${x(t).toFixed(1)},${y(p).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}
