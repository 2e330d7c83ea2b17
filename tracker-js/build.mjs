// Build the tracker: minify each src/*.js into dist/ with terser and enforce the gzip -9 size budget.
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { minify } from "terser";

const BUDGET = { "script.js": 1000, "script.all.js": 2000 };
const here = new URL(".", import.meta.url).pathname;
mkdirSync(here + "dist", { recursive: true });

let failed = false;
for (const name of readdirSync(here + "src").filter((f) => f.endsWith(".js"))) {
  const source = readFileSync(here + "src/" + name, "utf8");
  const out = await minify(source, {
    compress: { passes: 2, unsafe: true },
    mangle: { toplevel: true },
    format: { comments: false },
  });
  writeFileSync(here + "dist/" + name, out.code + "\n");
  const gz = gzipSync(Buffer.from(out.code), { level: 9 }).length;
  const budget = BUDGET[name];
  const ok = budget === undefined || gz <= budget;
  failed ||= !ok;
  console.log(`tracker: dist/${name} ${out.code.length} B, ${gz} B gzip -9` + (budget ? ` (budget ${budget})` : "") + (ok ? "" : "  OVER BUDGET"));
}
process.exit(failed ? 1 : 0);
