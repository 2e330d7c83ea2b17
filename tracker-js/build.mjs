// Build the tracker: minify each src/NAME.js into dist/ with terser and enforce the gzip -9 size budget.
//
// One source, two builds: code between /*@all*/ and /*@end*/ goes only into dist/NAME.all.js; dist/NAME.js
// is the same source with those blocks cut out. A source without blocks builds dist/NAME.js alone.
import { readFileSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { minify } from "terser";

const BUDGET = { "script.js": 1000, "script.all.js": 2000 };
const BLOCK = /\/\*@all\*\/[\s\S]*?\/\*@end\*\//g;
const here = new URL(".", import.meta.url).pathname;
mkdirSync(here + "dist", { recursive: true });

// The builds of one source file: [output name, source text].
function variants(name, source) {
  const opens = source.split("/*@all*/").length - 1;
  const closes = source.split("/*@end*/").length - 1;
  if (opens !== closes) throw new Error(`src/${name}: ${opens} /*@all*/ but ${closes} /*@end*/`);
  if (!opens) return [[name, source]];
  return [
    [name, source.replace(BLOCK, "")],
    [name.replace(/\.js$/, ".all.js"), source],
  ];
}

let failed = false;
for (const file of readdirSync(here + "src").filter((f) => f.endsWith(".js"))) {
  for (const [name, source] of variants(file, readFileSync(here + "src/" + file, "utf8"))) {
    const out = await minify(source, {
      compress: { passes: 3, unsafe: true },
      mangle: { toplevel: true },
      format: { comments: false },
    });
    writeFileSync(here + "dist/" + name, out.code + "\n");
    const gz = gzipSync(Buffer.from(out.code), { level: 9 }).length;
    const budget = BUDGET[name];
    const ok = budget === undefined || gz <= budget;
    failed ||= !ok;
    console.log(
      `tracker: dist/${name} ${out.code.length} B, ${gz} B gzip -9` +
        (budget ? ` (budget ${budget})` : "") +
        (ok ? "" : "  OVER BUDGET")
    );
  }
}
process.exit(failed ? 1 : 0);
