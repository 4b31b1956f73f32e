// A client for the Pulumi SDK's own dynamic-provider host process, speaking to it as the engine does.
//
// The engine launches `node <@pulumi/pulumi>/cmd/dynamic-provider/index.js <engine-address>` once per command,
// reads the gRPC port from the first stdout line and calls the ResourceProvider service. This module does the
// same with the SDK's generated stubs, marshalling with google.protobuf.Struct.fromJavaScript (no secrets —
// the host answers acceptSecrets=false — no `undefined`). Source read: @pulumi/pulumi 3.248
// cmd/dynamic-provider/index.js; engine side: pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";

/** The engine's placeholder for a value not known during preview (sdk/nodejs/runtime/rpc.ts `unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A JSON object as it crosses the gRPC boundary. */
export type Props = Record<string, unknown>;

/** A check failure returned by the provider. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** The result of Check. */
export interface CheckResult {
  readonly inputs: Props;
  readonly failures: readonly CheckFailure[];
}

/** The result of Diff. `changes` mirrors DiffResponse.DiffChanges. */
export interface DiffResult {
  readonly changes: "unknown" | "none" | "some";
  readonly replaces: readonly string[];
  readonly deleteBeforeReplace: boolean;
}

/** The result of Read: an empty `id` means the resource is gone. */
export interface ReadResult {
  readonly id: string;
  readonly properties: Props;
  /** Present only when the provider's read returned `inputs`. */
  readonly inputs?: Props;
}

/** A gRPC call that failed; `message` keeps the provider's message (the gRPC `details`). */
export class ProviderCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ProviderCallError";
  }
}

/**
 * Create/Update failed after the remote object existed: the provider threw `{ id, properties, reasons }`,
 * which the host packs as pulumirpc.ErrorResourceInitFailed in the `grpc-status-details-bin` trailer.
 */
export class InitFailedError extends ProviderCallError {
  constructor(
    method: string,
    code: number,
    message: string,
    readonly id: string,
    readonly properties: Props,
    readonly reasons: readonly string[],
  ) {
    super(method, code, message);
    this.name = "InitFailedError";
  }
}

/** One RPC as the harness measured it. */
export interface CallTiming {
  readonly method: string;
  readonly urn?: string;
  readonly ms: number;
}

/** Options for starting a host. */
export interface HostOptions {
  /** Working directory of the host: the Pulumi project directory. Default: the repository root. */
  readonly cwd?: string;
  /** Extra environment for the host process (the engine passes PULUMI_CONFIG to dynamic providers). */
  readonly env?: Record<string, string>;
  /** Deadline for the port line. Default 20 s. */
  readonly startTimeoutMs?: number;
  /** Deadline for each RPC. Default 60 s. */
  readonly callTimeoutMs?: number;
}

/** The repository root (the Pulumi project directory used as cwd for child processes). */
/** The repository root: the nearest package.json above this file, from the sources or from dist/. */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "test", "host")))
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no repository root above ${start}`);
  }
}

const live = new Map<number, ChildProcess>();
let exitHookInstalled = false;

/** Pids of host processes started by this process and not yet exited. */
export function liveHostPids(): number[] {
  return [...live.keys()];
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last line of defence: never leave a host behind when the test worker exits.
  process.once("exit", () => {
    for (const child of live.values()) child.kill("SIGKILL");
  });
}

/** Engine-side marshalling: `undefined` is dropped (as the engine never sends it), everything else is JSON. */
export function toStruct(value: Props): Struct {
  return Struct.fromJavaScript(stripUndefined(value) as Record<string, never>);
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : stripUndefined(v)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = stripUndefined(v);
    }
    return out;
  }
  return value;
}

function fromStruct(s: Struct | undefined): Props {
  return s ? s.toJavaScript() : {};
}

function decodeInitFailed(
  err: grpc.ServiceError,
): { id: string; properties: Props; reasons: string[] } | undefined {
  const raw = err.metadata.get("grpc-status-details-bin")[0];
  if (raw === undefined || typeof raw === "string") return undefined;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(raw));
  for (const detail of status.getDetailsList()) {
    if (detail.getTypeName() === "pulumirpc.ErrorResourceInitFailed") {
      const init = provproto.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      return {
        id: init.getId(),
        properties: fromStruct(init.getProperties()),
        reasons: init.getReasonsList(),
      };
    }
  }
  return undefined;
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

/** A running dynamic-provider host and a gRPC client connected to it. */
export class ProviderHost {
  readonly calls: CallTiming[] = [];
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: provrpc.ResourceProviderClient,
    readonly port: number,
    /** Milliseconds from spawn to the port line. */
    readonly startMs: number,
    /** Host stdout after the port line, and stderr: what `pulumi` shows as provider output. Live. */
    readonly logs: string[],
    private readonly callTimeoutMs: number,
    private readonly exited: Promise<void>,
  ) {}

  /** Process id of the host. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Spawns the SDK's dynamic-provider host and connects to it. */
  static async start(options: HostOptions = {}): Promise<ProviderHost> {
    installExitHook();
    const cwd = options.cwd ?? REPO_ROOT;
    const entry = createRequire(path.join(cwd, "package.json")).resolve(
      "@pulumi/pulumi/cmd/dynamic-provider",
    );
    const t0 = performance.now();
    // The engine address argument is required by the host but never dialled by dynamic providers.
    const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error("dynamic-provider host did not start");
    live.set(pid, child);
    // "close" (not "exit"): it fires after stdout/stderr ended, so every log line has been read by then.
    const exited = new Promise<void>((resolve) => {
      child.once("close", () => {
        live.delete(pid);
        resolve();
      });
    });
    const logs: string[] = [];
    readline.createInterface({ input: child.stderr }).on("line", (line) => logs.push(line));
    const port = await new Promise<number>((resolve, reject) => {
      let first = true;
      const timer = setTimeout(() => {
        reject(
          new Error(`dynamic-provider host printed no port within ${options.startTimeoutMs ?? 20_000} ms`),
        );
      }, options.startTimeoutMs ?? 20_000);
      readline.createInterface({ input: child.stdout }).on("line", (line) => {
        if (first) {
          first = false;
          clearTimeout(timer);
          const n = Number(line.trim());
          if (Number.isInteger(n) && n > 0) resolve(n);
          else reject(new Error(`dynamic-provider host printed ${JSON.stringify(line)} instead of a port`));
        } else {
          logs.push(line);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(
          new Error(
            `dynamic-provider host exited (${String(code)}) before printing its port: ${logs.join("\n")}`,
          ),
        );
      });
    }).catch((err: unknown) => {
      child.kill("SIGKILL");
      throw err;
    });
    const startMs = performance.now() - t0;
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new ProviderHost(child, client, port, startMs, logs, options.callTimeoutMs ?? 60_000, exited);
  }

  private async call<Req, Res>(method: string, fn: Unary<Req, Res>, req: Req, urn?: string): Promise<Res> {
    if (this.closed) throw new Error(`ProviderHost.${method}: host already closed`);
    const t0 = performance.now();
    try {
      return await new Promise<Res>((resolve, reject) => {
        fn.call(
          this.client,
          req,
          new grpc.Metadata(),
          { deadline: Date.now() + this.callTimeoutMs },
          (err: grpc.ServiceError | null, res: Res) => {
            if (err) {
              const message = err.details || err.message;
              const init = method === "Create" || method === "Update" ? decodeInitFailed(err) : undefined;
              reject(
                init
                  ? new InitFailedError(method, err.code, message, init.id, init.properties, init.reasons)
                  : new ProviderCallError(method, err.code, message),
              );
            } else {
              resolve(res);
            }
          },
        );
      });
    } finally {
      this.calls.push({ method, ...(urn === undefined ? {} : { urn }), ms: performance.now() - t0 });
    }
  }

  /**
   * Configure with the whole stack config (namespaced keys such as `enos:apiGateway`, secrets already
   * decrypted), as the engine does for the dynamic provider since pulumi/pulumi#17229. Sent both as `args`
   * (what the Node host reads) and as `variables`.
   */
  async configure(
    config: Record<string, string>,
  ): Promise<{ acceptSecrets: boolean; supportsPreview: boolean }> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct(config));
    const vars = req.getVariablesMap();
    for (const [k, v] of Object.entries(config)) vars.set(k, v);
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    const res = await this.call<provproto.ConfigureRequest, provproto.ConfigureResponse>(
      "Configure",
      this.client.configure.bind(this.client),
      req,
    );
    return { acceptSecrets: res.getAcceptsecrets(), supportsPreview: res.getSupportspreview() };
  }

  /** Check(olds = old *inputs* or {} for a new resource, news = program inputs). */
  async check(urn: string, olds: Props, news: Props): Promise<CheckResult> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const res = await this.call<provproto.CheckRequest, provproto.CheckResponse>(
      "Check",
      this.client.check.bind(this.client),
      req,
      urn,
    );
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff(olds = old *outputs*, news = checked inputs); the engine also sends the old inputs separately. */
  async diff(urn: string, id: string, olds: Props, news: Props, oldInputs?: Props): Promise<DiffResult> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setId(id);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    const res = await this.call<provproto.DiffRequest, provproto.DiffResponse>(
      "Diff",
      this.client.diff.bind(this.client),
      req,
      urn,
    );
    const C = provproto.DiffResponse.DiffChanges;
    const changes = res.getChanges();
    return {
      changes: changes === C.DIFF_SOME ? "some" : changes === C.DIFF_NONE ? "none" : "unknown",
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  /** Create(properties = checked inputs). Throws InitFailedError when the provider threw `{ id, properties, reasons }`. */
  async create(urn: string, props: Props): Promise<{ id: string; properties: Props }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setProperties(toStruct(props));
    const res = await this.call<provproto.CreateRequest, provproto.CreateResponse>(
      "Create",
      this.client.create.bind(this.client),
      req,
      urn,
    );
    return { id: res.getId(), properties: fromStruct(res.getProperties()) };
  }

  /** Read(id, properties = stored outputs, inputs = stored inputs). */
  async read(urn: string, id: string, props: Props, inputs?: Props): Promise<ReadResult> {
    const req = new provproto.ReadRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setId(id);
    req.setProperties(toStruct(props));
    if (inputs) req.setInputs(toStruct(inputs));
    const res = await this.call<provproto.ReadRequest, provproto.ReadResponse>(
      "Read",
      this.client.read.bind(this.client),
      req,
      urn,
    );
    return {
      id: res.getId(),
      properties: fromStruct(res.getProperties()),
      ...(res.hasInputs() ? { inputs: fromStruct(res.getInputs()) } : {}),
    };
  }

  /** Update(olds = old *outputs*, news = checked inputs). Throws InitFailedError like create. */
  async update(
    urn: string,
    id: string,
    olds: Props,
    news: Props,
    oldInputs?: Props,
  ): Promise<{ properties: Props }> {
    const req = new provproto.UpdateRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setId(id);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    const res = await this.call<provproto.UpdateRequest, provproto.UpdateResponse>(
      "Update",
      this.client.update.bind(this.client),
      req,
      urn,
    );
    return { properties: fromStruct(res.getProperties()) };
  }

  /** Delete(id, properties = stored outputs). */
  async delete(urn: string, id: string, props: Props, oldInputs?: Props): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(urn);
    setNameType(req, urn);
    req.setId(id);
    req.setProperties(toStruct(props));
    if (oldInputs) req.setOldInputs(toStruct(oldInputs));
    await this.call("Delete", this.client.delete.bind(this.client), req, urn);
  }

  /** Closes the channel and kills the host (SIGTERM, then SIGKILL after 2 s). Safe to call twice. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.close();
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill("SIGTERM");
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 2_000);
        await this.exited;
        clearTimeout(timer);
      }
    }
    await this.exited;
  }
}

/** `pulumi-nodejs:dynamic/fixture:Thing` and `a` from `urn:pulumi:stack::project::<type>::<name>`. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

function setNameType(req: { setName(v: string): unknown; setType(v: string): unknown }, urn: string): void {
  const { type, name } = parseUrn(urn);
  req.setName(name);
  req.setType(type);
}
