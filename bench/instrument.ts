// Timestamps and peak memory of the real provider host, taken at the harness's gRPC client.
//
// The Engine records each RPC's duration but not when it was sent, and keeps its ProviderHost private. The
// bench needs both (the apply window runs from the first Create sent to the last Create answered; memory is
// the host's own high-water mark), so it wraps the ProviderHost methods once, in this process only. Nothing
// the host or the provider does changes: the wrapper only reads clocks and /proc.
import * as fs from "node:fs";
import { ProviderHost } from "../test/host/host.js";

/** One RPC as seen from the engine side. */
export interface Span {
  readonly method: string;
  readonly urn: string | undefined;
  readonly pid: number;
  /** performance.now() when sent / answered. */
  readonly sent: number;
  readonly answered: number;
  /** Date.now() when sent / answered, to line up with the simulator's request log. */
  readonly sentEpoch: number;
  readonly answeredEpoch: number;
  readonly ok: boolean;
}

/** Peak and current resident memory of a host, read from /proc just before it was closed. */
export interface HostMemory {
  readonly pid: number;
  readonly peakRssKb: number;
  readonly rssKb: number;
}

const RPCS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

const spans: Span[] = [];
const memory: HostMemory[] = [];
let installed = false;

/** Reads `VmHWM` (peak resident set) and `VmRSS` of a live process; undefined where /proc is unavailable. */
export function readProcMemory(pid: number): { peakRssKb: number; rssKb: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    const peakRssKb = field("VmHWM");
    const rssKb = field("VmRSS");
    return Number.isFinite(peakRssKb) ? { peakRssKb, rssKb } : undefined;
  } catch {
    return undefined;
  }
}

type Method = (this: ProviderHost, ...args: unknown[]) => Promise<unknown>;

/** Wraps ProviderHost's RPC methods and close() (idempotent). */
export function instrumentHosts(): void {
  if (installed) return;
  installed = true;
  const proto = ProviderHost.prototype as unknown as Record<string, Method>;
  for (const name of RPCS) {
    const original = proto[name];
    if (!original) throw new Error(`ProviderHost.${name} not found: the harness changed`);
    proto[name] = async function (this: ProviderHost, ...args: unknown[]): Promise<unknown> {
      const sent = performance.now();
      const sentEpoch = Date.now();
      let ok = false;
      try {
        const result = await original.apply(this, args);
        ok = true;
        return result;
      } finally {
        spans.push({
          method: name,
          urn: name === "configure" ? undefined : (args[0] as string),
          pid: this.pid,
          sent,
          answered: performance.now(),
          sentEpoch,
          answeredEpoch: Date.now(),
          ok,
        });
      }
    };
  }
  const close = proto.close;
  if (!close) throw new Error("ProviderHost.close not found: the harness changed");
  proto.close = function (this: ProviderHost): Promise<unknown> {
    // VmHWM is the kernel's own high-water mark, so one read before exit gives the exact peak.
    const read = readProcMemory(this.pid);
    if (read && !memory.some((m) => m.pid === this.pid)) memory.push({ pid: this.pid, ...read });
    return close.apply(this, []);
  };
}

/** Spans and host memory recorded since the last `take()`. */
export function take(): { spans: Span[]; memory: HostMemory[] } {
  return { spans: spans.splice(0), memory: memory.splice(0) };
}
