// The root project's entry point (program/main.js, `main` in Pulumi.yaml): it runs dist/program only while every
// compiled file is at least as new as its TypeScript source, and otherwise fails naming `npm run build`.
// Exercised on a copy in a temp directory whose file times are set explicitly (no clock is raced).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";

const REPO = path.resolve(__dirname, "../..");
const EARLY = new Date("2026-01-01T00:00:00Z");
const LATE = new Date("2026-01-02T00:00:00Z");

function write(root: string, file: string, text: string, time: Date): void {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  fs.utimesSync(full, time, time);
}

/** Requires the copy's program/main.js in a fresh node and prints its exports. */
function runMain(root: string) {
  const main = path.join(root, "program", "main.js");
  return spawnSync(
    process.execPath,
    ["-e", `console.log(JSON.stringify(require(${JSON.stringify(main)})))`],
    {
      encoding: "utf8",
    },
  );
}

describe("program/main.js, the root project's entry point", () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-main-"));
    fs.mkdirSync(path.join(root, "program"));
    fs.copyFileSync(path.join(REPO, "program", "main.js"), path.join(root, "program", "main.js"));
    write(root, "program/index.ts", "export const ran = true;\n", EARLY);
    write(root, "provider/client/client.ts", "export {};\n", EARLY);
    write(root, "provider/index.d.ts", "export {};\n", LATE); // declarations are not sources
    write(root, "dist/program/index.js", "exports.ran = true;\n", LATE);
    write(root, "dist/provider/client/client.js", "\n", LATE);
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("is what the root Pulumi.yaml runs", () => {
    const project = parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as { main: string };
    expect(project.main).toBe("program/main.js");
  });

  it("runs dist/program and hands on its exports when the build is current", () => {
    const result = runMain(root);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ ran: true });
  });

  it("fails naming `npm run build` and the edited file when program/ changed after the build", () => {
    write(root, "program/index.ts", "export const ran = 'edited';\n", new Date(LATE.getTime() + 1000));
    const result = runMain(root);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("dist/ is older than the TypeScript it is built from (program/index.ts)");
    expect(result.stderr).toContain("run `npm run build`");
    expect(result.stdout).toBe("");
  });

  it("fails the same way when a provider file changed, or was never compiled", () => {
    write(root, "provider/client/client.ts", "export const x = 1;\n", new Date(LATE.getTime() + 1000));
    write(root, "provider/client/new.ts", "export {};\n", EARLY);
    const result = runMain(root);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("(provider/client/client.ts, provider/client/new.ts)");
  });
});
