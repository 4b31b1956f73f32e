/**
 * Every example as a user runs it, through the real Pulumi CLI: the example's folder copied out of the repository
 * as it is (Pulumi.yaml, package.json, tsconfig.json, index.ts), then the commands of its README's "Run it" block
 * in order: `npm install` of the packed pulumi-enos (which installs the rest of the example's package.json),
 * `pulumi stack init`, every `pulumi config set`, and `pulumi preview` of the TypeScript program against enos-sim.
 *
 * One real `npm install` is shared: every example's package.json asks for the same packages (asserted below), so
 * the first example installs and the others link its node_modules. Skips with the reason printed without a CLI
 * (`PULUMI_ENOS_REQUIRE_CLI=1` makes that a failure).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { packOnce } from "../../tools/pulumi-cli/project.js";
import { cliOrSkip, UserProject } from "../cli/support.js";

const cli = cliOrSkip("test/examples preview");
const EXAMPLES = path.resolve(__dirname, "../../examples");
const names = fs.readdirSync(EXAMPLES).filter((n) => fs.existsSync(path.join(EXAMPLES, n, "Pulumi.yaml")));
const TARBALL_PLACEHOLDER = "/path/to/pulumi-enos-0.1.0.tgz";
const README_GATEWAY = "http://127.0.0.1:8360";
/** The pipelines and flows each example declares, which its preview plans to adopt. */
const ADOPTIONS: Record<string, number> = {
  "canary-rollout": 3,
  "cluster-pipeline": 1,
  "nightly-flow": 1,
  redeploy: 1,
  "single-pipeline": 1,
};

/** The commands of the README's "Run it" block, without their comments. */
function runItCommands(example: string): string[][] {
  const readme = fs.readFileSync(path.join(EXAMPLES, example, "README.md"), "utf8");
  const block = /## Run it\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error(`examples/${example}/README.md has no "Run it" block of commands`);
  return block
    .split("\n")
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .replace(/\s*&$/, "")
        .trim(),
    )
    .filter((line) => line !== "")
    .map((line) => line.split(/\s+/));
}

function dependenciesOf(example: string): unknown {
  const pkg = JSON.parse(fs.readFileSync(path.join(EXAMPLES, example, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return { dependencies: pkg.dependencies, devDependencies: pkg.devDependencies };
}

describe.skipIf(!cli)("every example previews through the real CLI, as its README says", () => {
  let sim: RunningSimulator;
  let installed: string | undefined;
  const projects: UserProject[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    for (const project of projects) project.dispose();
    await sim.close();
  });

  it("has the examples, each a project with the same dependencies", () => {
    expect(names.sort()).toEqual(Object.keys(ADOPTIONS).sort());
    for (const name of names) {
      for (const file of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "README.md"])
        expect(fs.existsSync(path.join(EXAMPLES, name, file)), `${name}/${file}`).toBe(true);
      expect(dependenciesOf(name)).toEqual(dependenciesOf(names[0] ?? ""));
    }
  });

  /** `npm install <tarball>` for real in the first example; the others link its node_modules. */
  function npmInstall(user: UserProject, args: string[]): void {
    expect(args.slice(0, 2)).toEqual(["npm", "install"]);
    expect(args.slice(2)).toEqual([TARBALL_PLACEHOLDER]);
    if (installed !== undefined) {
      fs.symlinkSync(installed, path.join(user.dir, "node_modules"), "dir");
      return;
    }
    const result = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", packOnce()], {
      cwd: user.dir,
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    installed = path.join(user.dir, "node_modules");
  }

  it.each(names)(
    "%s: npm install, stack init, config, pulumi preview against enos-sim, nothing changed in EnOS",
    async (name) => {
      if (!cli) throw new Error("unreachable: suite skipped without a CLI");
      const user = new UserProject(cli, {}, { source: path.join(EXAMPLES, name), modules: "none" });
      projects.push(user);
      const commands = runItCommands(name);
      expect(commands.at(-1)).toEqual(["pulumi", "preview"]);
      expect(commands.some((c) => c[0] === "npx" && c[1] === "enos-sim")).toBe(true); // started above instead
      const mutationsBefore = (await sim.admin.requests()).filter((r) => r.mutation).length;
      for (const command of commands) {
        if (command[0] === "npm") npmInstall(user, command);
        else if (command[0] === "pulumi" && command[1] !== "preview")
          await user.ok(command.slice(1).map((arg) => (arg === README_GATEWAY ? sim.url : arg)));
      }
      const preview = await user.preview();
      expect(preview.code, preview.stdout + preview.stderr).toBe(0);
      const summary = preview.events.find((e) => e.summaryEvent)?.summaryEvent;
      expect(summary?.resourceChanges.create).toBe(ADOPTIONS[name]! + 1); // and the stack itself
      expect(preview.stdout).toMatch(/pulumi-nodejs:dynamic\/enos:Enos(PipelineDeployment|FlowSchedule)/);
      expect((await sim.admin.requests()).filter((r) => r.mutation)).toHaveLength(mutationsBefore);
    },
    300_000,
  );
});
