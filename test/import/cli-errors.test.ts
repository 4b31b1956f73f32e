// The bin's contract around the output: --help, bad usage (exit 2, before any EnOS call), settings from a
// stack file (an encrypted secret cannot be read), and EnOS failures (exit 1, nothing written, no secret).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultSeed, startSimulator, type RunningSimulator } from "../../simulator/index.js";
import { runCli } from "./cli.js";

const SECRET = "demo-secret-key";
let sim: RunningSimulator;
let tmp: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "enos-import-cli-"));
  env = { ENOS_API_GATEWAY: sim.url, ENOS_ACCESS_KEY: "demo-access-key", ENOS_SECRET_KEY: SECRET };
});

beforeEach(async () => {
  await sim.admin.reset(defaultSeed);
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const requestCount = async () => (await sim.admin.requests()).length;

describe("pulumi-enos import: usage", () => {
  it("--help prints the usage on stdout and exits 0", async () => {
    const run = await runCli(["--help"], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: pulumi-enos import --org <orgId>/);
    expect(run.stdout).toContain("`pulumi import` does not work for dynamic providers");
    expect(run.stdout).toContain("--format");
  });

  it.each([
    [
      ["import", "--org", "o-demo", "--format", "yaml"],
      '--format must be one of program, config, json (got "yaml")',
    ],
    [
      ["import", "--org", "o-demo", "--flow", "abc"],
      '--flow must be a flow id, a positive whole number (got "abc")',
    ],
    [["import", "--org", "o-demo", "--match", "("], "--match is not a regular expression"],
    [["export", "--org", "o-demo"], 'the commands are `import` and `drift` (got "export")'],
    [["import", "--org", "o-demo", "--colour"], "Unknown option '--colour'"],
    [["import"], "--org is required (or set enos:orgId / ENOS_ORG_ID)"],
    [["import", "--org", "o-demo", "--flow", "3377"], "--flow needs the flow owner: pass --user <userId>"],
  ])("%j exits 2 naming the argument, before any EnOS call", async (args, message) => {
    const before = await requestCount();
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
    expect(await requestCount()).toBe(before);
  });

  it("missing credentials name every setting and how to set it", async () => {
    const run = await runCli(["import", "--org", "o-demo"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("enos:apiGateway is not set");
    expect(run.stderr).toContain("ENOS_SECRET_KEY");
  });
});

describe("pulumi-enos import: --stack-config", () => {
  const stackFile = (secretKey: string): string => {
    const file = path.join(tmp, `Pulumi.${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(
      file,
      [
        "config:",
        `  enos:apiGateway: ${sim.url}`,
        "  enos:accessKey: demo-access-key",
        secretKey,
        "  enos:orgId: o-demo",
        "  enos:userId: u-demo",
        "  pulumi-enos:pipelines: []",
        "",
      ].join("\n"),
    );
    return file;
  };
  const encrypted = "  enos:secretKey:\n    secure: AAABAJ2nqXW+g5ZbC6hmHcsXz0Oa1HLqJn+5xmMn1H8mFQ==";

  it("an encrypted secret key cannot be read: says so and names ENOS_SECRET_KEY", async () => {
    const run = await runCli(["import", "--stack-config", stackFile(encrypted)], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("enos:secretKey in");
    expect(run.stderr).toContain(
      "is encrypted (secure:) and only the Pulumi CLI can decrypt it: set ENOS_SECRET_KEY instead",
    );
    expect(run.stderr).not.toContain("AAABAJ2");
  });

  it("takes the gateway, keys, org and user from the file, and the secret from ENOS_SECRET_KEY", async () => {
    const run = await runCli(
      ["import", "--stack-config", stackFile(encrypted), "--flow", "3378", "--format", "json"],
      { ENOS_SECRET_KEY: SECRET },
    );
    expect(run.code).toBe(0);
    const names = (JSON.parse(run.stdout) as { resources: { name: string }[] }).resources.map((r) => r.name);
    expect(names).toEqual(["demo-pipeline-1", "demo-pipeline-2", "demo-pipeline-3", "demo-flow-3378"]);
  });

  it("a file that is not YAML is named", async () => {
    const file = path.join(tmp, "broken.yaml");
    fs.writeFileSync(file, "config: [unclosed\n");
    const run = await runCli(["import", "--stack-config", file], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--stack-config ${file}: cannot read it as YAML`);
  });
});

describe("pulumi-enos import: EnOS failures", () => {
  it("a wrong secret key exits 1 with EnOS's answer, writes nothing and never prints a secret", async () => {
    const out = path.join(tmp, "never.ts");
    const wrong = "not-the-secret-key";
    const run = await runCli(["import", "--org", "o-demo", "--out", out], { ...env, ENOS_SECRET_KEY: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/failed, nothing was written: .*1003/);
    expect(fs.existsSync(out)).toBe(false);
    expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
  });

  it("an unknown flow exits 1 naming the EnOS code", async () => {
    const run = await runCli(["import", "--org", "o-demo", "--user", "u-demo", "--flow", "999"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/62102/);
    expect(run.stdout).toBe("");
  });

  it("a gateway that keeps failing exits 1 with the status", async () => {
    await sim.admin.addFault({ kind: "serverError", status: 500, match: { endpoint: "listPipelines" } });
    const run = await runCli(["import", "--org", "o-demo"], env);
    await sim.admin.clearFaults();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/500/);
    expect(run.stderr).not.toContain(SECRET);
  });
});
