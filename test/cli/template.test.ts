/**
 * The `pulumi new` template, through the real Pulumi CLI: `pulumi new ./templates/enos-typescript --yes` creates
 * the project, the stack and its config from the template's prompts (defaults: enos-sim's seed), then
 * `pulumi preview` runs the TypeScript program against enos-sim and plans the two adoptions without changing
 * anything in EnOS.
 *
 * Uses `pulumi` from PATH, or from <repo>/.pulumi-cli/bin (built from source); skips with the reason printed
 * when there is neither. `pulumi new` runs `npm install` in the new project, and pulumi-enos is not on the npm
 * registry yet: an `npm` placed first on PATH for this test answers `install` by linking this checkout's
 * pulumi-enos, @pulumi/pulumi, typescript and @types/node (and records the call); every other npm command goes to
 * the real npm.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.js";

const REPO = resolve(__dirname, "../..");
const TEMPLATE = join(REPO, "templates", "enos-typescript");
const LOCAL_CLI = join(REPO, ".pulumi-cli", "bin");

/** The directory holding a working `pulumi`, or undefined (with the reason printed). */
function findCli(): string | undefined {
  const onPath = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (onPath.status === 0) return "";
  if (existsSync(join(LOCAL_CLI, "pulumi"))) return LOCAL_CLI;
  console.log(
    `test/cli/template SKIPPED: no Pulumi CLI on PATH or in ${LOCAL_CLI}, so \`pulumi new\` with templates/enos-typescript and \`pulumi preview\` did not run.`,
  );
  return undefined;
}

const cliDir = findCli();

/** Stands in for `npm install` in the new project (see the header); the real npm for anything else. */
function writeNpmShim(dir: string, realNpm: string, log: string): void {
  const link = (from: string, to: string) => `ln -sfn "${join(REPO, from)}" "node_modules/${to}"`;
  const script = [
    "#!/bin/sh",
    'if [ "$1" = "install" ] || [ "$1" = "i" ]; then',
    `  echo "npm $*" >> "${log}"`,
    "  mkdir -p node_modules/@types",
    `  ${link(".", "pulumi-enos")}`,
    `  ${link("node_modules/@pulumi", "@pulumi")}`,
    `  ${link("node_modules/typescript", "typescript")}`,
    `  ${link("node_modules/@types/node", "@types/node")}`,
    "  exit 0",
    "fi",
    `exec "${realNpm}" "$@"`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "npm"), script);
  chmodSync(join(dir, "npm"), 0o755);
}

describe.skipIf(cliDir === undefined)("pulumi new with templates/enos-typescript (real CLI)", () => {
  let sim: RunningSimulator;
  let root: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  const pulumi = (args: string[], cwd: string): SpawnSyncReturns<string> =>
    spawnSync("pulumi", args, { cwd, env, encoding: "utf8", timeout: 240_000 });
  const explain = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, delays: { start: 60, pause: 30, stop: 30, release: 30 } });
    root = mkdtempSync(join(tmpdir(), "pulumi-enos-template-"));
    project = join(root, "project");
    const shims = join(root, "shims");
    for (const dir of [shims, join(root, "home"), join(root, "state")]) mkdirSync(dir);
    const realNpm = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
    writeNpmShim(shims, realNpm, join(root, "npm-calls.log"));
    const pathDirs = [shims, ...(cliDir ? [cliDir] : []), process.env.PATH ?? ""];
    env = {
      ...process.env,
      PATH: pathDirs.join(delimiter),
      PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "template-test",
      PULUMI_HOME: join(root, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    // The settings must come from the stack config the template wrote, not from this process.
    for (const name of Object.keys(env)) if (name.startsWith("ENOS_")) Reflect.deleteProperty(env, name);
  }, 60_000);

  afterAll(async () => {
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("pulumi new --yes writes the project and a stack whose config comes from the template's prompts", () => {
    const created = pulumi(
      [
        "new",
        TEMPLATE,
        "--yes",
        "--name",
        "enos-template-test",
        "--description",
        "template test",
        "--stack",
        "dev",
        "--dir",
        project,
        "--config",
        `enos:apiGateway=${sim.url}`,
      ],
      root,
    );
    expect(created.status, explain(created)).toBe(0);
    expect(readFileSync(join(root, "npm-calls.log"), "utf8")).toMatch(/^npm (install|i)\b/);
    const stackFile = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    expect(stackFile).toContain(`enos:apiGateway: ${sim.url}`);
    expect(stackFile).toContain("enos:accessKey: demo-access-key");
    expect(stackFile).toContain("enos-template-test:pipelineId: demo-pipeline-1");
    // The secret key is stored encrypted.
    expect(stackFile).toMatch(/enos:secretKey:\s*\n\s*secure:/);
    expect(stackFile).not.toContain("demo-secret-key");
    expect(readFileSync(join(project, "package.json"), "utf8")).toContain('"name": "enos-template-test"');
  }, 300_000);

  it("pulumi preview against enos-sim plans the two adoptions and changes nothing in EnOS", async () => {
    const before = (await sim.admin.requests()).filter((r) => r.mutation).length;
    const preview = pulumi(["preview", "--stack", "dev", "--non-interactive"], project);
    expect(preview.status, explain(preview)).toBe(0);
    expect(preview.stdout).toContain("pulumi-nodejs:dynamic/enos:EnosPipelineDeployment");
    expect(preview.stdout).toContain("pulumi-nodejs:dynamic/enos:EnosFlowSchedule");
    expect(preview.stdout).toMatch(/3 to create|\+ 3 to create/);
    const after = (await sim.admin.requests()).filter((r) => r.mutation).length;
    expect(after).toBe(before);
  }, 300_000);
});
