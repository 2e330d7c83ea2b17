// Build the dashboard: project the world map into SVG paths (d3-geo over world-atlas, ids as ISO
// 3166-1 alpha-2 codes), then bundle src/dashboard.js with uPlot into ../panel/static/lantern/dist/.
//
// The map is projected here, once, so the browser draws ready-made paths and never loads a projection
// library or topojson; Antarctica is left out. Everything the page needs ends up in dist/.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { geoEqualEarth, geoPath } from "d3-geo";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const countries = require("i18n-iso-countries");
const here = new URL(".", import.meta.url).pathname;
const out = here + "../panel/static/lantern/dist/";
const WIDTH = 960;
const HEIGHT = 470;

// [{id: "DE", d: "M…"}]: one SVG path per country with a code (three disputed areas have none).
function worldPaths() {
  const atlas = JSON.parse(readFileSync(require.resolve("world-atlas/countries-110m.json"), "utf8"));
  const shapes = feature(atlas, atlas.objects.countries).features.filter((f) => f.id !== "010");
  const projection = geoEqualEarth().fitExtent([[4, 4], [WIDTH - 4, HEIGHT - 4]], {
    type: "FeatureCollection",
    features: shapes,
  });
  const path = geoPath(projection).digits(1);
  return shapes.map((f) => ({ id: countries.numericToAlpha2(f.id) || "", d: path(f) }));
}

mkdirSync(here + "generated", { recursive: true });
const map = { width: WIDTH, height: HEIGHT, countries: worldPaths() };
writeFileSync(here + "generated/world.json", JSON.stringify(map));

// The licences of what the bundle carries (uPlot; the map's shapes, from world-atlas, projected by
// d3-geo and topojson-client) travel with it in dist/LICENSES.txt, named in the bundle's banner.
const BUNDLED = ["uplot", "world-atlas", "d3-geo", "topojson-client"];
mkdirSync(out, { recursive: true });
writeFileSync(
  out + "LICENSES.txt",
  BUNDLED.map((name) => {
    const meta = JSON.parse(readFileSync(here + `node_modules/${name}/package.json`, "utf8"));
    const text = readFileSync(here + `node_modules/${name}/LICENSE`, "utf8").trim();
    return `${name} ${meta.version} (${meta.license})\n\n${text}\n`;
  }).join("\n" + "-".repeat(72) + "\n\n")
);
const banner = `/*! Lantern dashboard. Bundles ${BUNDLED.join(", ")}: licences in LICENSES.txt beside this file. */`;

const result = await build({
  entryPoints: { dashboard: here + "src/dashboard.js" },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  legalComments: "eof",
  banner: { js: banner, css: banner },
  metafile: true,
  logLevel: "warning",
});
for (const [name, info] of Object.entries(result.metafile.outputs)) {
  console.log(`dashboard: ${name.replace(/^.*\/dist\//, "dist/")} ${info.bytes} B`);
}
