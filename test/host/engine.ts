// A small stand-in for the Pulumi engine's update/preview/refresh/destroy, driving the real dynamic-provider host.
//
// Each verb does what one `pulumi` command does at the provider boundary: run the program (child process,
// setMocks), launch a fresh host, Configure it with the stack config, then issue Check/Diff/Create/Read/Update/
// Delete and record the results in a JSON state file shaped like a stack checkpoint. Where the harness has to
// choose what the engine would do, the choice follows the engine source and is cited inline:
//   step_generator.go = pulumi/pulumi pkg/resource/deploy/step_generator.go
//   step.go           = pulumi/pulumi pkg/resource/deploy/step.go
//   provider_plugin.go= pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import {
  type CallTiming,
  type CheckFailure,
  type DiffResult,
  InitFailedError,
  type Props,
  ProviderHost,
  REPO_ROOT,
} from "./host.js";
import { type Program, type RegisteredResource, providerBytesByType, runProgram } from "./program.js";

/** One resource in the state file (a trimmed `resource.State`). */
export interface ResourceState {
  urn: string;
  type: string;
  id: string;
  /** Checked inputs (including `__provider`). */
  inputs: Props;
  /** What the provider returned (the host adds `__provider`, except in init-failed properties). */
  outputs: Props;
  /** Reasons from an init-failed create/update; the next `up` updates the resource even without a diff. */
  initErrors?: string[];
  /** The old half of a create-before-delete replacement, still to be deleted. */
  delete?: boolean;
}

/** The state file. */
export interface StackState {
  version: 1;
  project: string;
  stack: string;
  resources: ResourceState[];
}

/** What happened (or, in preview, would happen) to one resource. */
export type StepOp = "create" | "same" | "update" | "replace" | "delete-replaced" | "delete" | "refresh";

export interface Step {
  readonly urn: string;
  readonly op: StepOp;
  /** replace: "create-before-delete" | "delete-before-replace"; refresh: "same" | "update" | "delete". */
  readonly detail?: string;
  /** False when the provider call for this step failed. Preview steps are always ok. */
  readonly ok: boolean;
}

/** An error surfaced by a verb (the verbs never throw for provider or program errors). */
export interface EngineError {
  readonly urn?: string;
  readonly phase: "program" | "host" | "configure" | "check" | "diff" | "read" | StepOp;
  readonly message: string;
  readonly failures?: readonly CheckFailure[];
  readonly initFailed?: {
    readonly id: string;
    readonly properties: Props;
    readonly reasons: readonly string[];
  };
}

/** Timings of one verb. */
export interface VerbTimings {
  programMs?: number;
  hostStartMs?: number;
  configureMs?: number;
  totalMs: number;
  calls: readonly CallTiming[];
}

/** The result of a verb. */
export interface VerbResult {
  readonly steps: readonly Step[];
  /** Host output (provider console.log/console.error), in arrival order. */
  readonly logs: readonly string[];
  readonly errors: readonly EngineError[];
  /** Program output lines (up/preview). */
  readonly programLogs: readonly string[];
  /** What the program registered (up/preview). */
  readonly resources: readonly RegisteredResource[];
  /** `__provider` bytes per resource type (up/preview). */
  readonly providerBytes: Readonly<Record<string, number>>;
  /** Provider diffs by URN (up/preview). */
  readonly diffs: Readonly<Record<string, DiffResult>>;
  readonly timings: VerbTimings;
}

/** Options of an Engine (one stack). */
export interface EngineOptions {
  /** Where the state is checkpointed (JSON). Created on first write. */
  readonly stateFile: string;
  readonly project?: string;
  readonly stack?: string;
  /** Stack config (namespaced keys, string values), as in Pulumi.<stack>.yaml with secrets decrypted. */
  readonly config?: Record<string, string>;
  /** Keys of `config` that are secrets (the program sees them as secrets). */
  readonly secretKeys?: readonly string[];
  /** Project directory: cwd of the program and the host. Default: the repository root. */
  readonly cwd?: string;
  /**
   * Concurrent resource operations. Default 4 × CPUs, as `pulumi up --parallel` defaults in the real CLI
   * (operations/up.go `defaultParallel`: GOMAXPROCS × 4, or PULUMI_PARALLEL): a create waiting for its org's
   * start lock holds one of these slots, which the real CLI showed (bench: two orgs in one stack).
   */
  readonly parallel?: number;
  /** Extra environment for the host. */
  readonly hostEnv?: Record<string, string>;
}

/** Per-verb options. */
export interface VerbOptions {
  /** Config to merge into the stack config and keep, like `pulumi up --config k=v`. */
  readonly config?: Record<string, string>;
}

class Recorder {
  readonly steps: Step[] = [];
  readonly errors: EngineError[] = [];
  readonly diffs: Record<string, DiffResult> = {};
  programLogs: readonly string[] = [];
  resources: readonly RegisteredResource[] = [];
  logs: readonly string[] = [];
  readonly timings: VerbTimings = { totalMs: 0, calls: [] };
  private readonly t0 = performance.now();

  step(urn: string, op: StepOp, ok: boolean, detail?: string): void {
    this.steps.push({ urn, op, ok, ...(detail === undefined ? {} : { detail }) });
  }

  fail(phase: EngineError["phase"], err: unknown, urn?: string): void {
    const message = err instanceof Error ? err.message : String(err);
    const initFailed =
      err instanceof InitFailedError
        ? { id: err.id, properties: err.properties, reasons: err.reasons }
        : undefined;
    this.errors.push({
      phase,
      message,
      ...(urn === undefined ? {} : { urn }),
      ...(initFailed ? { initFailed } : {}),
    });
  }

  finish(host: ProviderHost | undefined): VerbResult {
    if (host) {
      // The host's own (live) array: a line written just before the last RPC answered can still be in the pipe
      // here; every verb closes the host before it returns, and close waits for stdout/stderr to end.
      this.logs = host.logs;
      this.timings.hostStartMs = host.startMs;
      this.timings.calls = [...host.calls];
    }
    this.timings.totalMs = performance.now() - this.t0;
    return {
      steps: this.steps,
      logs: this.logs,
      errors: this.errors,
      programLogs: this.programLogs,
      resources: this.resources,
      providerBytes: providerBytesByType(this.resources),
      diffs: this.diffs,
      timings: this.timings,
    };
  }
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** Drives the real dynamic-provider host through engine-level verbs for one stack. */
export class Engine {
  readonly project: string;
  readonly stack: string;
  private config: Record<string, string>;
  private readonly cwd: string;
  private readonly parallel: number;

  constructor(private readonly options: EngineOptions) {
    this.project = options.project ?? "pulumi-enos";
    this.stack = options.stack ?? "dev";
    this.config = { ...options.config };
    this.cwd = options.cwd ?? REPO_ROOT;
    this.parallel = (options.parallel ?? Number(process.env.PULUMI_PARALLEL ?? 0)) || os.cpus().length * 4;
  }

  /** The current stack config (namespaced keys). */
  getConfig(): Readonly<Record<string, string>> {
    return { ...this.config };
  }

  /** Merges config into the stack config (like `pulumi config set`). */
  setConfig(values: Record<string, string>): void {
    Object.assign(this.config, values);
  }

  /** Reads the state file (an empty stack if it does not exist yet). */
  state(): StackState {
    if (!fs.existsSync(this.options.stateFile)) {
      return { version: 1, project: this.project, stack: this.stack, resources: [] };
    }
    return JSON.parse(fs.readFileSync(this.options.stateFile, "utf8")) as StackState;
  }

  /** The live (not pending-delete) resource with this URN, if any. */
  resource(urn: string): ResourceState | undefined {
    return this.state().resources.find((r) => r.urn === urn && !r.delete);
  }

  // Checkpoint after every step, like the engine's snapshot persister; write-then-rename keeps it whole.
  private save(state: StackState): void {
    fs.mkdirSync(path.dirname(this.options.stateFile), { recursive: true });
    const tmp = `${this.options.stateFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
    fs.renameSync(tmp, this.options.stateFile);
  }

  // Each pulumi command launches its own host (the plugin host is per-deployment). The engine passes the
  // full stack config to dynamic providers in PULUMI_CONFIG as well as in Configure (pulumi/pulumi#17229).
  private startHost(): Promise<ProviderHost> {
    return ProviderHost.start({
      cwd: this.cwd,
      env: { PULUMI_CONFIG: JSON.stringify(this.config), ...this.options.hostEnv },
    });
  }

  private async configure(host: ProviderHost, rec: Recorder): Promise<boolean> {
    const t0 = performance.now();
    try {
      await host.configure(this.config);
      return true;
    } catch (err) {
      rec.fail("configure", err);
      return false;
    } finally {
      rec.timings.configureMs = performance.now() - t0;
    }
  }

  /** `pulumi up`: run the program, then check, create / diff → update or replace, delete what is gone. */
  up(program: Program, options: VerbOptions = {}): Promise<VerbResult> {
    return this.deploy(program, options, false);
  }

  /** `pulumi preview`: run the program (dry run), then Check and Diff only — nothing is created or changed. */
  preview(program: Program, options: VerbOptions = {}): Promise<VerbResult> {
    return this.deploy(program, options, true);
  }

  private async deploy(program: Program, options: VerbOptions, dryRun: boolean): Promise<VerbResult> {
    if (options.config) this.setConfig(options.config);
    const rec = new Recorder();
    // The program and the host start together; the engine also runs the language host and plugins side by side.
    const [prog, started] = await Promise.allSettled([
      runProgram(program, {
        project: this.project,
        stack: this.stack,
        config: this.config,
        secretKeys: this.options.secretKeys ?? [],
        preview: dryRun,
        cwd: this.cwd,
      }),
      this.startHost(),
    ]);
    const host = started.status === "fulfilled" ? started.value : undefined;
    try {
      if (started.status === "rejected") rec.fail("host", started.reason);
      if (prog.status === "rejected") rec.fail("program", prog.reason);
      if (!host || prog.status === "rejected") return rec.finish(host);
      rec.programLogs = prog.value.logs;
      rec.resources = prog.value.resources;
      rec.timings.programMs = prog.value.ms;
      if (!(await this.configure(host, rec))) return rec.finish(host);
      await this.runSteps(host, prog.value.resources, rec, dryRun);
      return rec.finish(host);
    } finally {
      await host?.close();
    }
  }

  private async runSteps(
    host: ProviderHost,
    registered: readonly RegisteredResource[],
    rec: Recorder,
    dryRun: boolean,
  ): Promise<void> {
    const state = this.state();
    const custom = registered.filter((r) => r.custom);
    const live = (urn: string): ResourceState | undefined =>
      state.resources.find((r) => r.urn === urn && !r.delete);
    const seen = new Set<string>();
    for (const r of custom) {
      if (seen.has(r.urn)) rec.fail("program", new Error(`Duplicate resource URN '${r.urn}'`), r.urn);
      seen.add(r.urn);
    }
    if (rec.errors.length > 0) return;

    // Check. The engine passes the old *inputs* as olds (step_generator.go: prov.Check(urn, oldInputs, goal...)).
    // The real engine checks each registration as its event reaches the deployment executor, one at a time, and
    // stops the deployment at the first resource whose Check fails (seen through the real CLI in test/cli story
    // 8: one resource's failures are reported, not every bad resource's). The harness checks in registration
    // order and stops at the first failure too. Simplification: it checks every resource before any mutation,
    // where the engine may already have created resources registered before the failing one.
    const checked = new Map<string, Props>();
    for (const r of custom) {
      try {
        const res = await host.check(r.urn, live(r.urn)?.inputs ?? {}, r.inputs);
        if (res.failures.length > 0) {
          rec.errors.push({
            urn: r.urn,
            phase: "check",
            failures: res.failures,
            message: `resource ${r.urn} has check errors: ${res.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
          });
        } else {
          checked.set(r.urn, res.inputs);
        }
      } catch (err) {
        rec.fail("check", err, r.urn);
      }
      if (rec.errors.length > 0) break;
    }
    if (rec.errors.length > 0) return;

    // Diff → step, concurrently, except that a resource waits for the steps of the resources it depends on
    // (its registration reaches the engine only once they are done). After a failure the engine lets
    // in-flight steps finish but starts no new ones.
    const finished = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    for (const r of custom) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((res) => (resolve = res));
      finished.set(r.urn, { promise, resolve });
    }
    await mapLimit(custom, this.parallel, async (r) => {
      await Promise.all(r.dependencies.map((d) => finished.get(d)?.promise ?? Promise.resolve()));
      try {
        await this.stepFor(host, state, r, checked.get(r.urn) ?? {}, rec, dryRun);
      } finally {
        finished.get(r.urn)?.resolve();
      }
    });
    // Deletes run last, after all creates/updates (step_generator.go GenerateDeletes: pending-delete olds and
    // olds the program no longer registers), and only if nothing failed. The engine schedules independent
    // deletes in parallel; the harness's state keeps no dependencies, so it deletes one at a time in reverse
    // state order (reverse registration order), which is valid for any dependency graph.
    const registeredUrns = new Set(custom.map((r) => r.urn));
    const toDelete = [...state.resources].reverse().filter((r) => r.delete || !registeredUrns.has(r.urn));
    for (const res of toDelete) {
      const op: StepOp = res.delete ? "delete-replaced" : "delete";
      if (dryRun) {
        rec.step(res.urn, op, true);
        continue;
      }
      if (rec.errors.length > 0) break;
      await this.deleteOne(host, state, res, op, rec);
    }
    if (!dryRun) {
      // Final checkpoint in program order (the engine's snapshot is in dependency order; registration order is one).
      const order = new Map(custom.map((r, i) => [r.urn, i]));
      const rank = (r: ResourceState): number => (r.delete ? Infinity : (order.get(r.urn) ?? Infinity));
      state.resources = state.resources
        .map((r, i) => ({ r, i }))
        .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
        .map(({ r }) => r);
      this.save(state);
    }
  }

  private async stepFor(
    host: ProviderHost,
    state: StackState,
    r: RegisteredResource,
    news: Props,
    rec: Recorder,
    dryRun: boolean,
  ): Promise<void> {
    if (rec.errors.length > 0 && !dryRun) return;
    const old = state.resources.find((x) => x.urn === r.urn && !x.delete);
    if (!old) {
      if (dryRun) rec.step(r.urn, "create", true);
      else await this.create(host, state, r, news, rec, "create");
      return;
    }
    let diff: DiffResult;
    try {
      // Diff gets the old *outputs* as olds and the checked inputs as news (provider_plugin.go Diff:
      // `Olds: mOldOutputs, OldInputs: mOldInputs, News: mNewInputs`).
      diff = await host.diff(r.urn, old.id, old.outputs, news, old.inputs);
      rec.diffs[r.urn] = diff;
    } catch (err) {
      rec.fail("diff", err, r.urn);
      return;
    }
    // DIFF_UNKNOWN (no `diff`, or `changes` undefined): the engine compares old and new inputs
    // (step_generator.go diffResource).
    const changes =
      diff.changes === "some" || (diff.changes === "unknown" && !isDeepStrictEqual(old.inputs, news));
    if (changes && diff.replaces.length > 0) {
      // The program's deleteBeforeReplace option overrides the provider's answer (step_generator.go).
      await this.replace(host, state, r, old, r.deleteBeforeReplace ?? diff.deleteBeforeReplace, rec, dryRun);
    } else if (changes || (old.initErrors?.length ?? 0) > 0) {
      // Init errors force an (empty) update "to continue awaiting initialization" (step_generator.go).
      if (dryRun) rec.step(r.urn, "update", true);
      else await this.update(host, state, r, old, news, rec);
    } else {
      rec.step(r.urn, "same", true);
      if (!dryRun) {
        // SameStep keeps the old outputs and records the new inputs.
        old.inputs = news;
        this.save(state);
      }
    }
  }

  private async create(
    host: ProviderHost,
    state: StackState,
    r: RegisteredResource,
    news: Props,
    rec: Recorder,
    op: StepOp,
    detail?: string,
  ): Promise<ResourceState | undefined> {
    try {
      const res = await host.create(r.urn, news);
      const entry: ResourceState = {
        urn: r.urn,
        type: r.type,
        id: res.id,
        inputs: news,
        outputs: res.properties,
      };
      state.resources.push(entry);
      this.save(state);
      rec.step(r.urn, op, true, detail);
      return entry;
    } catch (err) {
      rec.step(r.urn, op, false, detail);
      rec.fail(op, err, r.urn);
      if (err instanceof InitFailedError) {
        // ErrorResourceInitFailed: the engine keeps the resource with the returned properties as outputs and
        // the reasons as init errors (provider_plugin.go Create → StatusPartialFailure). Note the properties
        // are stored as returned: the host does not add `__provider` to them.
        const entry: ResourceState = {
          urn: r.urn,
          type: r.type,
          id: err.id,
          inputs: news,
          outputs: err.properties,
          initErrors: [...err.reasons],
        };
        state.resources.push(entry);
        this.save(state);
        return entry;
      }
      return undefined;
    }
  }

  private async update(
    host: ProviderHost,
    state: StackState,
    r: RegisteredResource,
    old: ResourceState,
    news: Props,
    rec: Recorder,
  ): Promise<void> {
    try {
      // Update gets the old *outputs* as olds (provider_plugin.go Update: `Olds: mOldOutputs`).
      const res = await host.update(r.urn, old.id, old.outputs, news, old.inputs);
      old.inputs = news;
      old.outputs = res.properties;
      delete old.initErrors;
      this.save(state);
      rec.step(r.urn, "update", true);
    } catch (err) {
      rec.step(r.urn, "update", false);
      rec.fail("update", err, r.urn);
      if (err instanceof InitFailedError) {
        old.inputs = news;
        old.outputs = err.properties;
        old.initErrors = [...err.reasons];
        this.save(state);
      }
    }
  }

  private async replace(
    host: ProviderHost,
    state: StackState,
    r: RegisteredResource,
    old: ResourceState,
    deleteBeforeReplace: boolean,
    rec: Recorder,
    dryRun: boolean,
  ): Promise<void> {
    const detail = deleteBeforeReplace ? "delete-before-replace" : "create-before-delete";
    // On replacement the engine re-runs Check without olds "to recompute the default values"
    // (step_generator.go, "If we are going to perform a replacement...").
    let news: Props;
    try {
      const res = await host.check(r.urn, {}, r.inputs);
      if (res.failures.length > 0) {
        rec.errors.push({
          urn: r.urn,
          phase: "check",
          failures: res.failures,
          message: `resource ${r.urn} has check errors: ${res.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
        });
        return;
      }
      news = res.inputs;
    } catch (err) {
      rec.fail("check", err, r.urn);
      return;
    }
    if (dryRun) {
      rec.step(r.urn, "replace", true, detail);
      return;
    }
    if (deleteBeforeReplace) {
      // Delete-before-replace: delete the old resource now, then create (step_generator.go DeleteReplacementStep
      // before CreateReplacementStep).
      if (!(await this.deleteOne(host, state, old, "delete-replaced", rec))) return;
      await this.create(host, state, r, news, rec, "replace", detail);
      return;
    }
    // Create-before-delete (the default): create the replacement, mark the old one pending-delete; its delete
    // is "generated later on, after all creates/updates finish" (step_generator.go).
    const created = await this.create(host, state, r, news, rec, "replace", detail);
    if (created) {
      old.delete = true;
      this.save(state);
    }
  }

  private async deleteOne(
    host: ProviderHost,
    state: StackState,
    res: ResourceState,
    op: StepOp,
    rec: Recorder,
  ): Promise<boolean> {
    try {
      // Delete gets the stored outputs as properties and the old inputs (provider_plugin.go Delete).
      await host.delete(res.urn, res.id, res.outputs, res.inputs);
      state.resources = state.resources.filter((x) => x !== res);
      this.save(state);
      rec.step(res.urn, op, true);
      return true;
    } catch (err) {
      rec.step(res.urn, op, false);
      rec.fail(op, err, res.urn);
      return false;
    }
  }

  /**
   * `pulumi refresh`: Read every resource. An empty id removes it from state; otherwise outputs (and inputs,
   * if the provider returned them) are replaced, init errors cleared, and later diffs see the read outputs as
   * olds. Like the current engine (step.go RefreshStep.Apply) the refreshed state is then diffed against the
   * old inputs (Diff(olds = new outputs, news = old inputs)) to classify the step as same or update — so
   * the provider's diff runs, and logs, during refresh too.
   */
  async refresh(options: VerbOptions = {}): Promise<VerbResult> {
    if (options.config) this.setConfig(options.config);
    const rec = new Recorder();
    let host: ProviderHost | undefined;
    try {
      host = await this.startHost();
      if (!(await this.configure(host, rec))) return rec.finish(host);
      const h = host;
      const state = this.state();
      await mapLimit([...state.resources], this.parallel, async (res) => {
        let read;
        try {
          read = await h.read(res.urn, res.id, res.outputs, res.inputs);
        } catch (err) {
          rec.step(res.urn, "refresh", false);
          rec.fail("read", err, res.urn);
          return;
        }
        if (read.id === "") {
          state.resources = state.resources.filter((x) => x !== res);
          this.save(state);
          rec.step(res.urn, "refresh", true, "delete");
          return;
        }
        const oldInputs = res.inputs;
        res.id = read.id;
        res.outputs = read.properties;
        if (read.inputs) res.inputs = read.inputs;
        delete res.initErrors;
        this.save(state);
        let detail = "same";
        try {
          const diff = await h.diff(res.urn, res.id, res.outputs, oldInputs, res.inputs);
          const changed =
            diff.changes === "some" ||
            (diff.changes === "unknown" && !isDeepStrictEqual(res.inputs, oldInputs));
          detail = changed ? "update" : "same";
        } catch (err) {
          rec.fail("diff", err, res.urn);
        }
        rec.step(res.urn, "refresh", true, detail);
      });
      return rec.finish(host);
    } catch (err) {
      rec.fail("host", err);
      return rec.finish(host);
    } finally {
      await host?.close();
    }
  }

  /** `pulumi destroy`: delete every resource, in reverse state order, stopping at the first failure. */
  async destroy(options: VerbOptions = {}): Promise<VerbResult> {
    if (options.config) this.setConfig(options.config);
    const rec = new Recorder();
    let host: ProviderHost | undefined;
    try {
      host = await this.startHost();
      if (!(await this.configure(host, rec))) return rec.finish(host);
      const state = this.state();
      for (const res of [...state.resources].reverse()) {
        if (!(await this.deleteOne(host, state, res, res.delete ? "delete-replaced" : "delete", rec))) break;
      }
      return rec.finish(host);
    } catch (err) {
      rec.fail("host", err);
      return rec.finish(host);
    } finally {
      await host?.close();
    }
  }
}

/** Figures worth printing per story: `__provider` bytes per type and host RPC counts and time. */
export function summarize(results: readonly VerbResult[]): {
  providerBytes: Record<string, number>;
  hostCalls: Record<string, number>;
  hostCallMs: number;
} {
  const providerBytes: Record<string, number> = {};
  const hostCalls: Record<string, number> = {};
  let hostCallMs = 0;
  for (const r of results) {
    for (const [type, bytes] of Object.entries(r.providerBytes)) {
      providerBytes[type] = Math.max(providerBytes[type] ?? 0, bytes);
    }
    for (const c of r.timings.calls) {
      hostCalls[c.method] = (hostCalls[c.method] ?? 0) + 1;
      hostCallMs += c.ms;
    }
  }
  return { providerBytes, hostCalls, hostCallMs };
}

/** Throws with every error message when a verb reported errors (for tests that expect success). */
export function assertOk(result: VerbResult): VerbResult {
  if (result.errors.length > 0) {
    const lines = result.errors.map((e) => `${e.phase}${e.urn ? ` ${e.urn}` : ""}: ${e.message}`);
    throw new Error(`verb failed:\n${lines.join("\n")}\nhost logs:\n${result.logs.join("\n")}`);
  }
  return result;
}
