// Self-tests of the engine-boundary harness, against the fixture dynamic provider (test/fixtures/host/thing.js)
// and its loopback remote service. They prove the harness drives the real SDK host the way the engine does.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type FixtureRemote, startFixtureRemote } from "../fixtures/host/remote.js";
import { Engine, assertOk, type VerbResult } from "./engine.js";
import { InitFailedError, ProviderHost, UNKNOWN, liveHostPids } from "./host.js";
import { runProgram } from "./program.js";

const THING_MODULE = path.resolve(__dirname, "..", "fixtures", "host", "thing.js");
const THINGS_PROGRAM = "test/fixtures/host/things-program.js";
const THING_TYPE = "pulumi-nodejs:dynamic/fixture:Thing";

interface ThingArgs {
  name: string;
  size: unknown;
  color?: string;
  kind?: string;
  stuck?: boolean;
  deleteBeforeReplace?: boolean;
  dropProviderOnInitFail?: boolean;
}

/** Stack config `fixture:things` for the things program. */
function things(...list: ThingArgs[]): Record<string, string> {
  return { "fixture:things": JSON.stringify(list.map((args) => ({ name: args.name, args }))) };
}

const urnOf = (stack: string, name: string): string => `urn:pulumi:${stack}::harness::${THING_TYPE}::${name}`;
const ops = (r: VerbResult): string[] =>
  r.steps.map((s) => `${s.op} ${s.urn.split("::").pop() ?? ""}`).sort();
const hostCalls = (r: VerbResult): string[] => r.timings.calls.map((c) => c.method);

let remote: FixtureRemote;
let dir: string;
let stackCounter = 0;

function newEngine(extraConfig: Record<string, string> = {}): Engine {
  const stack = `s${++stackCounter}`;
  return new Engine({
    stateFile: path.join(dir, `${stack}.json`),
    project: "harness",
    stack,
    config: { "fixture:url": remote.url, "fixture:token": remote.token, ...extraConfig },
  });
}

beforeAll(async () => {
  remote = await startFixtureRemote();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-harness-"));
});

afterAll(async () => {
  await remote.close();
  fs.rmSync(dir, { recursive: true, force: true });
  // No host outlives its verb.
  expect(liveHostPids()).toEqual([]);
});

beforeEach(() => {
  remote.reset();
});

describe("program runner", () => {
  test("records every registration with its __provider, in a child process", async () => {
    const run = await runProgram(THINGS_PROGRAM, {
      project: "harness",
      stack: "dev",
      config: {
        ...things({ name: "a", size: 1 }, { name: "b", size: 2, color: "red" }),
        "fixture:token": "s3cr3t",
      },
      preview: false,
    });
    expect(run.resources.map((r) => r.urn)).toEqual([urnOf("dev", "a"), urnOf("dev", "b")]);
    const [a, b] = run.resources;
    expect(a?.type).toBe(THING_TYPE);
    expect(a?.inputs).toMatchObject({ name: "a", size: 1 });
    expect(b?.inputs).toMatchObject({ name: "b", size: 2, color: "red" });
    expect(a?.inputs.__provider).toEqual(expect.stringContaining("exports.handler"));
    expect(a?.providerBytes).toBe(Buffer.byteLength(String(a?.inputs.__provider)));
    // Output properties passed as undefined are not inputs.
    expect(Object.keys(a?.inputs ?? {})).not.toContain("status");
    // Config is read by configure() at run time, never captured.
    expect(String(a?.inputs.__provider)).not.toContain("s3cr3t");
    console.log(`[harness] __provider bytes, fixture Thing: ${a?.providerBytes ?? 0}`);
  });

  test("inline programs: secrets are unwrapped and recorded, preview unknowns become the placeholder", async () => {
    const source = `
      const pulumi = require("@pulumi/pulumi");
      const { Thing } = require(${JSON.stringify(THING_MODULE)});
      const a = new Thing("a", { name: "a", size: pulumi.secret(3) });
      new Thing("b", { name: "b", size: 1, color: a.id.apply((id) => "c-" + id) });
    `;
    const up = await runProgram({ source }, { project: "harness", stack: "dev", config: {}, preview: false });
    expect(up.resources[0]?.inputs.size).toBe(3);
    expect(up.resources[0]?.secretPaths).toEqual(["size"]);
    expect(up.resources[1]?.inputs.color).toBe("c-a-id");
    const preview = await runProgram(
      { source },
      { project: "harness", stack: "dev", config: {}, preview: true },
    );
    expect(preview.resources[1]?.inputs.color).toBe(UNKNOWN);
  });
});

describe("provider host", () => {
  test("RPCs, init-failed decoding, and measured timings", async () => {
    const prog = await runProgram(
      {
        source: `const { Thing } = require(${JSON.stringify(THING_MODULE)}); new Thing("t", { name: "t", size: 1 });`,
      },
      { project: "harness", stack: "dev", config: {}, preview: false },
    );
    const t = prog.resources[0]!;
    const host = await ProviderHost.start();
    try {
      expect(liveHostPids()).toContain(host.pid);
      const cfg = await host.configure({ "fixture:url": remote.url, "fixture:token": remote.token });
      expect(cfg).toEqual({ acceptSecrets: false, supportsPreview: false });
      const checked = await host.check(t.urn, {}, t.inputs);
      expect(checked.failures).toEqual([]);
      expect(checked.inputs).toMatchObject({ name: "t", size: 1, color: "blue", stuck: false });
      const created = await host.create(t.urn, checked.inputs);
      expect(created.properties).toMatchObject({ status: "READY", __provider: t.inputs.__provider });
      const read = await host.read(t.urn, created.id, created.properties, checked.inputs);
      expect(read.id).toBe(created.id);
      expect(await host.diff(t.urn, created.id, read.properties, checked.inputs)).toEqual({
        changes: "none",
        replaces: [],
        deleteBeforeReplace: false,
      });
      const updated = await host.update(t.urn, created.id, read.properties, { ...checked.inputs, size: 5 });
      expect(updated.properties).toMatchObject({ size: 5, version: 2 });
      // A read of an id that no longer exists answers an empty id.
      expect((await host.read(t.urn, "no-such-id", read.properties)).id).toBe("");

      const stuck = { ...checked.inputs, name: "t2", stuck: true };
      const err = await host.create(t.urn, stuck).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InitFailedError);
      const init = err as InitFailedError;
      expect(init.message).toContain("left it in status STUCK");
      expect(init.id).toMatch(/^thing-/);
      expect(init.reasons).toEqual(["status STUCK"]);
      expect(init.properties).toMatchObject({ name: "t2", status: "STUCK" });

      await host.delete(t.urn, created.id, updated.properties, checked.inputs);
      expect(remote.things.has(created.id)).toBe(false);

      const at = (m: string): number[] =>
        host.calls.filter((c) => c.method === m).map((c) => Math.round(c.ms));
      console.log(
        `[harness] host start ${Math.round(host.startMs)} ms; Configure ${at("Configure").join()} ms; ` +
          `first Check ${at("Check")[0] ?? -1} ms; Create ${at("Create").join("/")} ms; Read ${at("Read").join("/")} ms; ` +
          `Diff ${at("Diff").join()} ms; Update ${at("Update").join()} ms; Delete ${at("Delete").join()} ms`,
      );
    } finally {
      await host.close();
    }
    expect(liveHostPids()).not.toContain(host.pid);
    expect(() => process.kill(host.pid, 0)).toThrow();
  });
});

describe("engine verbs", () => {
  test("configure carries the stack config to the provider; __provider never holds it", async () => {
    const engine = newEngine();
    const ok = assertOk(await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1 }) }));
    expect(ok.steps).toEqual([{ urn: urnOf(engine.stack, "a"), op: "create", ok: true }]);
    const a = engine.resource(urnOf(engine.stack, "a"))!;
    expect(String(a.inputs.__provider)).not.toContain(remote.token);
    expect(String(a.inputs.__provider)).not.toContain(remote.url);

    const wrong = newEngine({ "fixture:token": "wrong-token" });
    const bad = await wrong.up(THINGS_PROGRAM, { config: things({ name: "b", size: 1 }) });
    expect(bad.errors).toHaveLength(1);
    expect(bad.errors[0]).toMatchObject({ phase: "create", urn: urnOf(wrong.stack, "b") });
    expect(bad.errors[0]?.message).toMatch(/answered 401/);
    expect(wrong.state().resources).toEqual([]);
  });

  test("check failures surface and nothing is mutated", async () => {
    const engine = newEngine();
    const r = await engine.up(THINGS_PROGRAM, {
      config: things({ name: "a", size: -1 }, { name: "b", size: 1 }),
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({
      phase: "check",
      urn: urnOf(engine.stack, "a"),
      failures: [{ property: "size", reason: "size must be a number >= 0, got -1" }],
    });
    expect(r.steps).toEqual([]);
    expect(remote.requests).toEqual([]);
    expect(engine.state().resources).toEqual([]);
  });

  test("up creates; a second up with nothing changed creates and updates nothing", async () => {
    const engine = newEngine();
    const program = things({ name: "a", size: 1 }, { name: "b", size: 2 });
    const first = assertOk(await engine.up(THINGS_PROGRAM, { config: program }));
    expect(ops(first)).toEqual(["create a", "create b"]);
    expect(remote.mutations()).toBe(2);
    const state = engine.state();
    expect(state.resources.map((r) => r.urn)).toEqual([urnOf(engine.stack, "a"), urnOf(engine.stack, "b")]);
    expect(state.resources[0]).toMatchObject({
      type: THING_TYPE,
      id: remote.byName("a")?.id,
      inputs: { name: "a", size: 1, color: "blue" },
      outputs: { status: "READY", version: 1 },
    });

    const second = assertOk(await engine.up(THINGS_PROGRAM));
    expect(ops(second)).toEqual(["same a", "same b"]);
    expect(hostCalls(second).filter((m) => ["Create", "Update", "Delete"].includes(m))).toEqual([]);
    expect(remote.mutations()).toBe(2);
    expect(second.logs).toContain(`fixture diff a (${remote.byName("a")?.id ?? ""}): no changes`);
  });

  test("a changed input updates in place; a resource dropped from the program is deleted afterwards", async () => {
    const engine = newEngine();
    assertOk(
      await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1 }, { name: "b", size: 1 }) }),
    );
    const id = remote.byName("a")!.id;
    const r = assertOk(await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 7 }) }));
    expect(r.steps).toEqual([
      { urn: urnOf(engine.stack, "a"), op: "update", ok: true },
      { urn: urnOf(engine.stack, "b"), op: "delete", ok: true },
    ]);
    expect(engine.state().resources.map((x) => x.urn)).toEqual([urnOf(engine.stack, "a")]);
    expect(r.logs).toContain(`fixture diff a (${id}): update size`);
    expect(remote.things.get(id)).toMatchObject({ size: 7, version: 2 });
    expect(engine.resource(urnOf(engine.stack, "a"))).toMatchObject({
      id,
      inputs: { size: 7 },
      outputs: { size: 7, version: 2 },
    });
  });

  test("a replace-key change replaces: create-before-delete by default, delete-before-replace on request", async () => {
    const engine = newEngine();
    assertOk(await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1, kind: "x" }) }));
    const oldId = remote.byName("a")!.id;
    remote.requests.length = 0;
    const r = assertOk(
      await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1, kind: "y" }) }),
    );
    const urn = urnOf(engine.stack, "a");
    expect(r.steps).toEqual([
      { urn, op: "replace", ok: true, detail: "create-before-delete" },
      { urn, op: "delete-replaced", ok: true },
    ]);
    expect(remote.requests.filter((q) => q.mutation).map((q) => q.method)).toEqual(["POST", "DELETE"]);
    const newId = remote.byName("a")!.id;
    expect(newId).not.toBe(oldId);
    expect(engine.state().resources).toEqual([expect.objectContaining({ urn, id: newId })]);

    remote.requests.length = 0;
    const dbr = assertOk(
      await engine.up(THINGS_PROGRAM, {
        config: things({ name: "a", size: 1, kind: "z", deleteBeforeReplace: true }),
      }),
    );
    expect(dbr.steps.map((s) => s.op)).toEqual(["delete-replaced", "replace"]);
    expect(remote.requests.filter((q) => q.mutation).map((q) => q.method)).toEqual(["DELETE", "POST"]);
    expect(engine.state().resources).toHaveLength(1);
  });

  test("dependencies order the steps; the deleteBeforeReplace option overrides the provider", async () => {
    const engine = newEngine();
    const program = {
      name: "deps",
      source: `
        const pulumi = require("@pulumi/pulumi");
        const { Thing } = require(${JSON.stringify(THING_MODULE)});
        const kind = new pulumi.Config("fixture").require("kind");
        const a = new Thing("a", { name: "a", size: 1, kind }, { deleteBeforeReplace: true });
        new Thing("b", { name: "b", size: 1 }, { dependsOn: [a] });
      `,
    };
    const first = assertOk(await engine.up(program, { config: { "fixture:kind": "x" } }));
    const [a, b] = first.resources;
    expect(a?.deleteBeforeReplace).toBe(true);
    expect(b?.dependencies).toEqual([a?.urn]);
    expect(remote.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /things", "POST /things"]);
    // b's create started only after a's create finished: a got the lower remote id.
    const idNumber = (name: string): number => Number(remote.byName(name)?.id.split("-")[1]);
    expect(idNumber("a")).toBeLessThan(idNumber("b"));

    remote.requests.length = 0;
    const second = assertOk(await engine.up(program, { config: { "fixture:kind": "y" } }));
    expect(ops(second)).toEqual(["delete-replaced a", "replace a", "same b"]);
    expect(remote.requests.filter((q) => q.mutation).map((q) => q.method)).toEqual(["DELETE", "POST"]);
  });

  test("preview reports the plan and the provider's diff message, and mutates nothing", async () => {
    const engine = newEngine();
    assertOk(
      await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1 }, { name: "gone", size: 1 }) }),
    );
    const before = fs.readFileSync(path.join(dir, `${engine.stack}.json`), "utf8");
    const mutations = remote.mutations();
    const r = assertOk(
      await engine.preview(THINGS_PROGRAM, {
        config: things({ name: "a", size: 4 }, { name: "new", size: 1 }),
      }),
    );
    expect(ops(r)).toEqual(["create new", "delete gone", "update a"]);
    expect(r.logs).toContain(`fixture diff a (${remote.byName("a")?.id ?? ""}): update size`);
    expect(new Set(hostCalls(r))).toEqual(new Set(["Configure", "Check", "Diff"]));
    expect(remote.mutations()).toBe(mutations);
    expect(fs.readFileSync(path.join(dir, `${engine.stack}.json`), "utf8")).toBe(before);
  });

  test("refresh records drift and removes a vanished resource; later diffs use the read outputs", async () => {
    const engine = newEngine();
    const program = things({ name: "a", size: 1 }, { name: "b", size: 1 });
    assertOk(await engine.up(THINGS_PROGRAM, { config: program }));
    const a = remote.byName("a")!;
    remote.setStatus(a.id, "STOPPED");
    remote.remove(remote.byName("b")!.id);

    const refreshed = assertOk(await engine.refresh());
    const stack = engine.stack;
    expect(refreshed.steps).toEqual(
      expect.arrayContaining([
        { urn: urnOf(stack, "a"), op: "refresh", ok: true, detail: "update" },
        { urn: urnOf(stack, "b"), op: "refresh", ok: true, detail: "delete" },
      ]),
    );
    expect(engine.state().resources.map((r) => r.urn)).toEqual([urnOf(stack, "a")]);
    expect(engine.resource(urnOf(stack, "a"))?.outputs).toMatchObject({ status: "STOPPED" });

    const preview = assertOk(await engine.preview(THINGS_PROGRAM));
    expect(ops(preview)).toEqual(["create b", "update a"]);
    expect(preview.logs).toContain(`fixture diff a (${a.id}): heal status STOPPED`);
  });

  test("an init-failed create keeps the resource in state; later ups update it until it converges", async () => {
    const engine = newEngine();
    const urn = urnOf(engine.stack, "a");
    const r = await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1, stuck: true }) });
    const id = remote.byName("a")!.id;
    expect(r.steps).toEqual([{ urn, op: "create", ok: false }]);
    expect(r.errors).toEqual([
      expect.objectContaining({
        phase: "create",
        urn,
        message: expect.stringContaining(`fixture create of thing a (${id}) left it in status STUCK`),
        initFailed: expect.objectContaining({ id, reasons: ["status STUCK"] }),
      }),
    ]);
    expect(engine.resource(urn)).toMatchObject({
      id,
      initErrors: ["status STUCK"],
      outputs: { status: "STUCK" },
    });

    // Same program, no input change: init errors still force an update, which fails the same way.
    const retry = await engine.up(THINGS_PROGRAM);
    expect(retry.steps).toEqual([{ urn, op: "update", ok: false }]);
    expect(engine.resource(urn)?.initErrors).toEqual(["status STUCK"]);

    const fixed = assertOk(
      await engine.up(THINGS_PROGRAM, { config: things({ name: "a", size: 1, stuck: false }) }),
    );
    expect(fixed.steps).toEqual([{ urn, op: "update", ok: true }]);
    expect(engine.resource(urn)).toMatchObject({ id, outputs: { status: "READY" } });
    expect(engine.resource(urn)?.initErrors).toBeUndefined();
  });

  test("init-failed properties without __provider leave state that delete cannot load (engine-faithful)", async () => {
    const engine = newEngine();
    const urn = urnOf(engine.stack, "a");
    await engine.up(THINGS_PROGRAM, {
      config: things({ name: "a", size: 1, stuck: true, dropProviderOnInitFail: true }),
    });
    expect(engine.resource(urn)?.outputs.__provider).toBeUndefined();
    const d = await engine.destroy();
    expect(d.errors[0]).toMatchObject({ phase: "delete", urn });
    expect(d.errors[0]?.message).toMatch(/code must be a string/);
    expect(engine.resource(urn)).toBeDefined();
  });

  test("destroy deletes everything in reverse order", async () => {
    const engine = newEngine();
    assertOk(
      await engine.up(THINGS_PROGRAM, {
        config: things({ name: "a", size: 1 }, { name: "b", size: 1 }, { name: "c", size: 1 }),
      }),
    );
    const r = assertOk(await engine.destroy());
    expect(r.steps.map((s) => `${s.op} ${s.urn.split("::").pop() ?? ""}`)).toEqual([
      "delete c",
      "delete b",
      "delete a",
    ]);
    expect(r.logs.filter((l) => l.startsWith("fixture delete")).map((l) => l.split(" ")[2])).toEqual([
      "c",
      "b",
      "a",
    ]);
    expect(remote.things.size).toBe(0);
    expect(engine.state().resources).toEqual([]);
  });

  test("every verb leaves no host process behind, even when the program fails", async () => {
    const engine = newEngine();
    const r = await engine.up({ source: `throw new Error("program exploded");` });
    expect(r.errors[0]).toMatchObject({ phase: "program" });
    expect(r.errors[0]?.message).toMatch(/program exploded/);
    expect(liveHostPids()).toEqual([]);
  });
});
