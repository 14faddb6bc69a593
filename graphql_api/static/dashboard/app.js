// The hash router: #/ the coins and runs, #/coin/<canonicalId> one coin. Errors show as one line.

import { ApiError } from "./graphql.js";
import { el } from "./format.js";
import { renderCoin } from "./coin_view.js";
import { renderHome } from "./coins_view.js";

const root = document.getElementById("view");

async function route() {
  const match = location.hash.match(/^#\/coin\/(.+)$/);
  root.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  try {
    if (match) await renderCoin(root, decodeURIComponent(match[1]));
    else await renderHome(root);
    document.body.dataset.view = match ? "coin" : "home";
  } catch (error) {
    const id = error instanceof ApiError && error.requestId ? ` (request id ${error.requestId})` : "";
    root.replaceChildren(el("p", { class: "error", role: "alert" }, `Could not load: ${error.message}${id}`));
    document.body.dataset.view = "error";
  }
}

window.addEventListener("hashchange", route);
route();
