// Runs a Pulumi program in a child Node process (test/host/run-program.js) and returns what it registered.
//
// Program convention: a CommonJS JavaScript file. Top-level code declares resources; if the module exports a
// function (module.exports = fn, or exports.default = fn) it is called and awaited, like the Node language host
// does. Parametrise a program through stack config (`new pulumi.Config("ns").get(...)`), exactly as a real one.
// A program given as `{ source }` is written under test/host/.programs/ for the run — inside the package, so
// `require("pulumi-enos")` resolves through Node's self-reference as it does for the repository's own programs.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, type Props } from "./host.js";

/** A program file path (absolute or relative to the repo root), or inline CommonJS source. */
export type Program = string | { readonly source: string; readonly name?: string };

/** Options for one program run. */
export interface ProgramRunOptions {
  readonly project: string;
  readonly stack: string;
  /** Stack config with namespaced keys (`enos:apiGateway`), values as strings like Pulumi.<stack>.yaml. */
  readonly config: Readonly<Record<string, string>>;
  /** Config keys that are secrets (PULUMI_CONFIG_SECRET_KEYS). */
  readonly secretKeys?: readonly string[];
  /** Run as a preview (`pulumi preview`): unknown outputs stay unknown and reach inputs as the placeholder. */
  readonly preview: boolean;
  /** Project directory. Default: the repository root. */
  readonly cwd?: string;
}

/** A resource registration as the engine receives it. */
export interface RegisteredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Parent URN, if the resource has an explicit parent. */
  readonly parent?: string;
  /** URNs of explicit and implicit (input) dependencies, as the SDK reports them to the engine. */
  readonly dependencies: readonly string[];
  /** The `deleteBeforeReplace` resource option, when the program set it. */
  readonly deleteBeforeReplace?: boolean;
  /** Inputs with secrets unwrapped and unknowns as the placeholder; includes `__provider`. */
  readonly inputs: Props;
  /** Input paths that were secrets in the program. */
  readonly secretPaths: readonly string[];
  /** UTF-8 bytes of the serialised provider (`__provider`), 0 for non-dynamic resources. */
  readonly providerBytes: number;
}

/** The outcome of a program run. */
export interface ProgramRun {
  readonly resources: readonly RegisteredResource[];
  /** The program's own stdout/stderr lines. */
  readonly logs: readonly string[];
  /** Wall time of the child process. */
  readonly ms: number;
}

const RUNNER = path.join(REPO_ROOT, "test", "host", "run-program.js");
const INLINE_DIR = path.join(REPO_ROOT, "test", "host", ".programs");
let inlineCounter = 0;

/** Runs `program` under setMocks in a child process; rejects with the program's error if it fails. */
export async function runProgram(program: Program, options: ProgramRunOptions): Promise<ProgramRun> {
  const cwd = options.cwd ?? REPO_ROOT;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-enos-program-"));
  let programFile: string;
  let inlineFile: string | undefined;
  if (typeof program === "string") {
    programFile = path.resolve(cwd, program);
  } else {
    fs.mkdirSync(INLINE_DIR, { recursive: true });
    const base = (program.name ?? "program").replace(/[^A-Za-z0-9_-]/g, "_");
    inlineFile = path.join(INLINE_DIR, `${base}-${process.pid}-${++inlineCounter}.js`);
    fs.writeFileSync(inlineFile, program.source);
    programFile = inlineFile;
  }
  const outFile = path.join(work, "out.json");
  const requestFile = path.join(work, "request.json");
  fs.writeFileSync(
    requestFile,
    JSON.stringify({
      program: programFile,
      project: options.project,
      stack: options.stack,
      config: options.config,
      secretKeys: options.secretKeys ?? [],
      preview: options.preview,
      outFile,
    }),
  );
  const t0 = performance.now();
  try {
    const { code, logs } = await new Promise<{ code: number | null; logs: string[] }>((resolve, reject) => {
      const child = spawn(process.execPath, [RUNNER, requestFile], {
        cwd,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (text += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (text += d));
      child.once("error", reject);
      child.once("close", (c) => {
        resolve({ code: c, logs: text.split("\n").filter((l) => l !== "") });
      });
    });
    const ms = performance.now() - t0;
    const result = fs.existsSync(outFile)
      ? (JSON.parse(fs.readFileSync(outFile, "utf8")) as
          { ok: true; resources: RegisteredResource[] } | { ok: false; error: string })
      : undefined;
    if (!result)
      throw new Error(`program ${programFile} exited ${String(code)} without a result:\n${logs.join("\n")}`);
    if (!result.ok) throw new Error(`program ${programFile} failed: ${result.error}`);
    return { resources: result.resources, logs, ms };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (inlineFile) fs.rmSync(inlineFile, { force: true });
  }
}

/** `__provider` bytes per resource type (largest seen), for reports and the benchmark. */
export function providerBytesByType(resources: readonly RegisteredResource[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resources) {
    if (r.providerBytes > 0) out[r.type] = Math.max(out[r.type] ?? 0, r.providerBytes);
  }
  return out;
}
