// The world map of visitors by country: paths projected at build time (d3-geo over world-atlas, see
// build.mjs), shaded here by each country's share of the busiest country's visitors.

import world from "../generated/world.json";
import { svg } from "./dom.js";
import { countryName, exact } from "./format.js";

/**
 * An <svg> of every country; ``counts`` maps "DE" -> visitors. ``onPick(code)`` runs on a click.
 * @returns {SVGSVGElement}
 */
export function worldMap(counts, onPick) {
  const root = svg("svg", { viewBox: `0 0 ${world.width} ${world.height}`, role: "img", class: "world", "aria-label": "Visitors by country" });
  const max = Math.max(1, ...Object.values(counts));
  for (const country of world.countries) {
    const visitors = counts[country.id] || 0;
    const path = svg("path", { d: country.d, class: visitors ? "country has-visitors" : "country" });
    if (country.id) path.setAttribute("data-country", country.id);
    if (visitors) {
      path.style.fillOpacity = String(0.2 + 0.8 * (visitors / max));
      path.addEventListener("click", () => onPick(country.id));
    }
    const title = svg("title");
    title.textContent = `${countryName(country.id) || "Unknown"}: ${exact(visitors)} visitor${visitors === 1 ? "" : "s"}`;
    path.appendChild(title);
    root.appendChild(path);
  }
  return root;
}
