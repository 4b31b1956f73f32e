// `pulumi-enos drift` before any stack is checked: --help, bad usage, no CLI, no project. Each exits 1 with one
// line saying what to fix. (With the real CLI and stacks: test/cli/drift.test.ts.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";

let empty: string;

beforeAll(() => {
  empty = fs.mkdtempSync(path.join(os.tmpdir(), "enos-drift-cli-"));
});

afterAll(() => {
  fs.rmSync(empty, { recursive: true, force: true });
});

describe("pulumi-enos drift: usage and set-up", () => {
  it("--help prints the usage on stdout and exits 0", async () => {
    const run = await runCli(["drift", "--help"], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: pulumi-enos drift \[--cwd <dir>\]/);
  });

  it("the import command's help points at drift", async () => {
    expect((await runCli(["--help"], {})).stdout).toContain("`pulumi-enos drift --help`");
  });

  it.each([
    [["drift", "--format", "html"], '--format must be one of text, json, markdown, junit (got "html")'],
    [["drift", "--parallel", "many"], '--parallel must be a whole number from 1 to 9999 (got "many")'],
    [["drift", "extra"], "Unexpected argument 'extra'"],
  ])("%j: exit 1 naming the argument, then the usage", async (args, message) => {
    const run = await runCli(args, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`pulumi-enos drift: ${message}`);
    expect(run.stderr).toContain("usage: pulumi-enos drift");
    expect(run.stdout).toBe("");
  });

  it("no pulumi CLI on PATH: exit 1 saying so", async () => {
    const nodeOnly = fs.mkdtempSync(path.join(empty, "bin-"));
    fs.symlinkSync(process.execPath, path.join(nodeOnly, "node"));
    const run = await runCli(["drift"], { PATH: nodeOnly }, empty);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      "pulumi-enos drift: no `pulumi` CLI on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/install/) or put it on PATH, then run again",
    );
  });
});
