// The root project's entry point (`main` in Pulumi.yaml). Pulumi runs the compiled program in dist/, so a
// `pulumi up` after editing program/ or provider/ without rebuilding would deploy the old code without a word:
// this file refuses to run it while any compiled file is missing or older than its TypeScript source.
// Plain JavaScript on purpose: it must work before the first build, and is never compiled itself.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
/** What the root program runs from dist/: its own code and the provider it loads as `pulumi-enos`. */
const SOURCES = ["program", "provider"];

/** Sources (relative to the repository) whose compiled .js in dist/ is missing or older than them. */
function staleSources() {
  const stale = [];
  for (const dir of SOURCES) {
    const entries = fs.readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" });
    for (const entry of entries.sort()) {
      if (!entry.endsWith(".ts") || entry.endsWith(".d.ts")) continue;
      const source = path.join(dir, entry);
      const output = path.join(root, "dist", source.replace(/\.ts$/, ".js"));
      const built = fs.statSync(output, { throwIfNoEntry: false });
      if (!built || built.mtimeMs < fs.statSync(path.join(root, source)).mtimeMs) stale.push(source);
    }
  }
  return stale;
}

const stale = staleSources();
if (stale.length > 0) {
  const shown = stale.slice(0, 3).join(", ") + (stale.length > 3 ? ` and ${stale.length - 3} more` : "");
  throw new Error(
    `dist/ is older than the TypeScript it is built from (${shown}), so this would run stale code: ` +
      `run \`npm run build\` in ${root}, then run pulumi again`,
  );
}
module.exports = require(path.join(root, "dist", "program", "index.js"));
