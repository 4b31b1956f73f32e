/**
 * The `enos-sim` command, as a real child process. The simulator folder is compiled on its own into a temp
 * dir (so this test does not depend on the rest of the repo building); with ENOS_SIM_CLI set, that file is
 * spawned instead (e.g. `ENOS_SIM_CLI=dist/simulator/cli.js` after `npm run build`).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SimulatorAdmin } from "../../simulator/index.js";
import { TestCaller } from "./helpers.js";

const root = resolve(__dirname, "../..");
let outDir: string;
let cli: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), "enos-sim-cli-"));
  if (process.env.ENOS_SIM_CLI !== undefined) {
    cli = resolve(root, process.env.ENOS_SIM_CLI);
    return;
  }
  execFileSync(
    process.execPath,
    [
      join(root, "node_modules/typescript/bin/tsc"),
      "--outDir",
      join(outDir, "simulator"),
      "--rootDir",
      join(root, "simulator"),
      "--module",
      "node16",
      "--moduleResolution",
      "node16",
      "--target",
      "ES2022",
      "--strict",
      "--skipLibCheck",
      "--types",
      "node",
      join(root, "simulator/cli.ts"),
    ],
    { cwd: root, stdio: "pipe" },
  );
  cli = join(outDir, "simulator/cli.js");
}, 120_000);

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Spawned {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<Exit>;
}

function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, NODE_PATH: join(root, "node_modules") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<Exit>((done) => {
    child.on("exit", (code, signal) => {
      done({ code, signal, ...output });
    });
  });
  return { child, output, exited };
}

interface Run {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  exit(): Promise<Exit>;
}

/** Spawn and resolve once the listening line is out. */
function run(args: string[]): Promise<Run> {
  const { child, output, exited } = spawnCli(args);
  return new Promise((resolveRun, reject) => {
    child.stdout?.on("data", () => {
      const match = /^enos-sim listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(output.stdout);
      if (match) {
        resolveRun({ child, url: match[1]!, stdout: () => output.stdout, exit: () => exited });
      }
    });
    void exited.then(({ code }) => {
      reject(new Error(`enos-sim exited (${code}) before listening: ${output.stderr}`));
    });
  });
}

function runToExit(args: string[]): Promise<Exit> {
  return spawnCli(args).exited;
}

describe("enos-sim CLI", () => {
  it("starts with a shebang", () => {
    expect(readFileSync(cli, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("prints one listening line, serves the default seed, exits 0 on SIGTERM", async () => {
    const sim = await run(["--port", "0"]);
    const caller = new TestCaller(sim.url);
    const list = await caller.list({ ifReleased: "true" });
    expect(list.json.data.pipelines.map((p: any) => p.pipelineId)).toEqual([
      "demo-pipeline-1",
      "demo-pipeline-2",
      "demo-pipeline-3",
    ]);
    const admin = new SimulatorAdmin(sim.url);
    expect((await admin.config()).delays).toEqual({ start: 1500, pause: 500, stop: 500, release: 500 });
    sim.child.kill("SIGTERM");
    const { code, signal } = await sim.exit();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(sim.stdout()).toBe(`enos-sim listening on ${sim.url}\n`);
  });

  it("exits 0 on SIGINT, with keep-alive connections open", async () => {
    const sim = await run(["--host", "127.0.0.1", "--port", "0", "--latency", "1", "--token-ttl", "60"]);
    const caller = new TestCaller(sim.url);
    expect((await caller.tokenGet()).json.data.expire).toBe(60);
    sim.child.kill("SIGINT");
    expect((await sim.exit()).code).toBe(0);
  });

  it("loads --seed and refuses an invalid one or a bad flag with exit 2", async () => {
    const seedFile = join(outDir, "seed.json");
    writeFileSync(
      seedFile,
      JSON.stringify({
        orgs: [{ orgId: "o-x", quotas: { standalone: 2 } }],
        apps: [{ accessKey: "ak-x", secretKey: "sk-x", orgId: "o-x" }],
        pipelines: [{ pipelineId: "px", orgId: "o-x" }],
      }),
    );
    const sim = await run(["--port", "0", "--seed", seedFile]);
    const caller = new TestCaller(sim.url, "ak-x", "sk-x");
    const res = await caller.call("GET", "/streaming/v2.0/streaming/pipelines", {
      query: { orgId: "o-x", ifReleased: "true" },
    });
    expect(res.json.data.pipelines.map((p: any) => p.pipelineId)).toEqual(["px"]);
    sim.child.kill("SIGTERM");
    expect((await sim.exit()).code).toBe(0);

    const badSeed = join(outDir, "bad.json");
    writeFileSync(badSeed, JSON.stringify({ pipelines: [{ pipelineId: "p", orgId: "nowhere" }] }));
    const invalid = await runToExit(["--seed", badSeed]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("unknown org nowhere");
    expect(invalid.stdout).toBe("");

    const missing = await runToExit(["--seed", join(outDir, "missing.json")]);
    expect(missing.code).toBe(2);

    const badFlag = await runToExit(["--prot", "1"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("usage: enos-sim");

    const badPort = await runToExit(["--port", "http"]);
    expect(badPort.code).toBe(2);
  });

  it("--help prints usage and exits 0", async () => {
    const help = await runToExit(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Admin API");
    expect(help.stdout).toContain("simulator/README.md");
    expect(help.stdout).toContain("--seed");
  });
});
