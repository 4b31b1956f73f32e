// The serialised provider loads pulumi-enos from the Pulumi project directory (the host's working directory).
// Where it is not installed — a destroy run from another project, node_modules removed — the SDK's own host must
// report which package, from which directory, and the command that fixes it, not a bare "Cannot find module"
// with a require stack.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderHost, REPO_ROOT } from "./host.js";
import { runProgram, type RegisteredResource } from "./program.js";

let project: string;
let host: ProviderHost;
let pipeline: RegisteredResource;

beforeAll(async () => {
  const run = await runProgram(
    {
      name: "loader",
      source:
        'const { EnosPipelineDeployment } = require("pulumi-enos");\nnew EnosPipelineDeployment("ingest", { pipelineId: "demo-pipeline-1", orgId: "o-demo" });\n',
    },
    { project: "loader", stack: "dev", config: {}, preview: false },
  );
  const [registered] = run.resources;
  if (!registered) throw new Error(`program registered nothing:\n${run.logs.join("\n")}`);
  pipeline = registered;

  // A Pulumi project with the SDK (so the host starts) but without pulumi-enos.
  project = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-loader-"));
  fs.mkdirSync(path.join(project, "node_modules"));
  fs.symlinkSync(
    path.join(REPO_ROOT, "node_modules", "@pulumi"),
    path.join(project, "node_modules", "@pulumi"),
    "dir",
  );
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "no-enos-here", private: true }),
  );
  host = await ProviderHost.start({ cwd: project });
});

afterAll(async () => {
  await host.close();
  fs.rmSync(project, { recursive: true, force: true });
});

describe("a provider host that cannot load pulumi-enos", () => {
  it("names the package, the directory and the fix, for check and for delete", async () => {
    await host.configure({
      "enos:apiGateway": "http://127.0.0.1:1",
      "enos:accessKey": "a",
      "enos:secretKey": "s",
    });
    const expected = `Cannot load pulumi-enos from project dir ${project} (Cannot find module 'pulumi-enos'`;
    const fix = "run `npm install` there, with pulumi-enos in package.json";

    const check = await host.check(pipeline.urn, {}, pipeline.inputs).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(check?.message).toContain(expected);
    expect(check?.message).toContain(fix);
    expect(check?.message).not.toContain("Require stack");

    const del = await host
      .delete(pipeline.urn, "demo-pipeline-1", { ...pipeline.inputs, status: "RUNNING" })
      .then(
        () => undefined,
        (err: unknown) => err as Error,
      );
    expect(del?.message).toContain(expected);
    expect(del?.message).toContain(fix);
  });
});
