// A Pulumi program and the policy pack import pulumi-enos for its resource classes and never send a request,
// so the HTTP client's undici is loaded on the first request, not with the package. Runs the built package
// (`npm run build`) in a fresh Node process: vitest itself has undici loaded.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../host/host.js";

function loadedAfter(script: string): { afterImport: boolean; afterRequest: boolean } {
  const entry = path.join(REPO_ROOT, "dist", "provider", "index.js");
  const probe = `
    const loaded = () => Object.keys(require.cache).some((file) => file.includes("/node_modules/undici/"));
    require(${JSON.stringify(entry)});
    const afterImport = loaded();
    ${script}
    process.stdout.write(JSON.stringify({ afterImport, afterRequest: loaded() }));
  `;
  const run = spawnSync(process.execPath, ["-e", probe], { cwd: REPO_ROOT, encoding: "utf8" });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as { afterImport: boolean; afterRequest: boolean };
}

describe("undici", () => {
  it("is not loaded by importing pulumi-enos, and is once the client needs its dispatcher", () => {
    expect(
      loadedAfter(
        `require(${JSON.stringify(path.join(REPO_ROOT, "dist", "provider", "client", "transport.js"))}).sharedDispatcher();`,
      ),
    ).toEqual({
      afterImport: false,
      afterRequest: true,
    });
  });
});
