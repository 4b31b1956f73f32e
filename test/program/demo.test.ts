// `npm run demo`, run as a newcomer would (after the build): the compiled demo in a child process.
// The first run hides the Pulumi CLI (an empty PATH) so it takes the no-CLI path on any machine and must say so;
// the second injects a simulator fault and must fail naming the step. Both must leave no temporary files behind.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { locatePulumiCli } from "../../tools/pulumi-cli/locate.js";

const REPO = path.resolve(__dirname, "../..");
const DEMO = path.join(REPO, "dist", "demo", "index.js");
const cli = locatePulumiCli();

let tmp: string;
let emptyPath: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "enos-demo-test-"));
  emptyPath = path.join(tmp, "bin");
  fs.mkdirSync(path.join(tmp, "tmp"));
  fs.mkdirSync(emptyPath);
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * Runs the demo with its own TMPDIR (to see what it leaves behind) and, unless asked, no Pulumi CLI: nothing on
 * PATH, and `PULUMI_ENOS_BUILT_CLI=off` hides the one `npm run pulumi:install` built.
 */
function demo(
  args: string[],
  options: { keepPath?: boolean; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], {
      cwd: REPO,
      env: {
        ...process.env,
        ...(options.keepPath ? {} : { PATH: emptyPath, PULUMI_ENOS_BUILT_CLI: "off" }),
        TMPDIR: path.join(tmp, "tmp"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    // A budget, not an assertion: on a loaded 2-core machine the whole demo has taken up to ~70 s.
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 170_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, lines: output.trimEnd().split("\n") });
    });
  });
}

describe("npm run demo", () => {
  it("without the Pulumi CLI: says so once, narrates up → drift → preview → heal → destroy, exits 0", async () => {
    const { code, output, lines } = await demo([]);
    expect(output, output).not.toMatch(/DEMO FAILED/);
    expect(code, output).toBe(0);

    expect(lines.filter((l) => /Pulumi CLI/.test(l))).toEqual([
      "Pulumi CLI not found (not on PATH, not in .pulumi-cli/bin; `npm run pulumi:install` builds it): each `pulumi` step below runs through the SDK's dynamic-provider host instead, driven by the test/host harness.",
    ]);
    const steps = lines.filter((l) => /^\[\d\/5\]/.test(l));
    expect(steps).toEqual([
      expect.stringMatching(/^\[1\/5\] pulumi up: /),
      expect.stringMatching(/^\[2\/5\] Someone stops demo-pipeline-1 in the EnOS console/),
      expect.stringMatching(/^\[3\/5\] pulumi preview --refresh: /),
      expect.stringMatching(/^\[4\/5\] pulumi up --refresh: heal the drift/),
      expect.stringMatching(/^\[5\/5\] pulumi destroy: /),
    ]);
    expect(output).toMatch(/done in [\d.]+ s: 5 created · EnOS actions: start ×3, enable flow ×1/);
    expect(lines).toContain("  provider: demo-pipeline-1 is STOPPED, desired RUNNING: will start");
    expect(output).toMatch(/plan in [\d.]+ s: 1 to update, 4 unchanged · EnOS actions: none/);
    expect(output).toMatch(/done in [\d.]+ s: 1 updated, 4 unchanged · EnOS actions: start ×1/);
    expect(output).toMatch(/done in [\d.]+ s: 5 deleted · EnOS actions: stop ×3, disable flow ×2/);
    expect(lines.at(-1)).toMatch(/^Demo complete: all 5 steps succeeded in [\d.]+ s; simulator stopped/);

    // The tables: after the out-of-band stop EnOS and the state disagree; after the heal they agree again.
    const row = (after: string) => {
      const start = lines.findIndex((l) => l.startsWith(after));
      return lines
        .slice(start)
        .find((l) => l.trim().startsWith("ingest-telemetry"))
        ?.trim();
    };
    expect(row("[1/5]")).toMatch(/^ingest-telemetry\s+demo-pipeline-1\s+RUNNING\s+v1\s+RUNNING\s+v1$/);
    expect(row("[2/5]")).toMatch(/^ingest-telemetry\s+demo-pipeline-1\s+STOPPED\s+v1\s+RUNNING\s+v1$/);
    expect(row("[4/5]")).toMatch(/^ingest-telemetry\s+demo-pipeline-1\s+RUNNING\s+v1\s+RUNNING\s+v1$/);
    expect(row("[5/5]")).toMatch(/^ingest-telemetry\s+demo-pipeline-1\s+STOPPED\s+v1\s+-$/);

    // It runs the stack the repository ships: every pipeline and flow of Pulumi.dev.yaml is in the final table.
    const doc = parseYaml(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, { name: string }[]>;
    };
    const entries = [
      ...(doc.config["pulumi-enos:pipelines"] ?? []),
      ...(doc.config["pulumi-enos:flows"] ?? []),
    ];
    expect(entries.length).toBeGreaterThan(0);
    const finalTable = lines.slice(lines.findIndex((l) => l.startsWith("[5/5]")));
    for (const { name } of entries)
      expect(finalTable.some((l) => l.trim().startsWith(`${name} `))).toBe(true);

    // Readable length, and nothing left in the temporary directory.
    expect(lines.length).toBeGreaterThanOrEqual(40);
    expect(lines.length).toBeLessThanOrEqual(70);
    expect(fs.readdirSync(path.join(tmp, "tmp"))).toEqual([]);
  }, 180_000);

  it("a failing step: exits 1 naming the step and the cause, and still cleans up", async () => {
    const fault = JSON.stringify({ kind: "startError", match: { pipelineId: "demo-pipeline-2" } });
    const { code, output } = await demo(["--harness", "--fault", fault]);
    expect(code, output).toBe(1);
    expect(output).toContain('DEMO FAILED at step "pulumi up":');
    expect(output).toMatch(/enrich-alarms: .*demo-pipeline-2.*RUN_ERROR/);
    expect(output).not.toContain("[2/5]");
    expect(output).toContain("Simulator stopped, temp files removed.");
    expect(fs.readdirSync(path.join(tmp, "tmp"))).toEqual([]);
  }, 180_000);

  // With a Pulumi CLI (on PATH or built into .pulumi-cli/bin): the same story through the real CLI.
  it.skipIf(!cli)(
    "with the Pulumi CLI: drives it through the Automation API and says which CLI it used",
    async () => {
      const { code, output, lines } = await demo([], { keepPath: true, timeoutMs: 280_000 });
      expect(code, output).toBe(0);
      expect(lines).toContain(
        `Using the real Pulumi CLI ${cli?.version ?? ""} (${cli?.bin ?? ""}, from ${cli?.source ?? ""}) through the Automation API, with a file:// backend in a temp directory.`,
      );
      expect(output).toMatch(/done in [\d.]+ s: 5 created · EnOS actions: start ×3, enable flow ×1/);
      expect(lines).toContain("  provider: demo-pipeline-1 is STOPPED, desired RUNNING: will start");
      // The same drift as `pulumi-enos drift` reports it, as a Markdown table.
      expect(lines).toContain(
        "    | ingest-telemetry | EnosPipelineDeployment | `demo-pipeline-1` | **status** | status=RUNNING, releasedVersion=1 | status=STOPPED, releasedVersion=1 | start |",
      );
      expect(output).toMatch(/done in [\d.]+ s: 5 deleted · EnOS actions: stop ×3, disable flow ×2/);
      expect(lines.at(-1)).toMatch(/^Demo complete: all 5 steps succeeded/);
      expect(fs.readdirSync(path.join(tmp, "tmp"))).toEqual([]);
    },
    300_000,
  );
});
