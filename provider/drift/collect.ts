/**
 * From the engine events of one refresh-preview (`pulumi preview --refresh --run-program`) to the stack's rows:
 * the refresh step of each resource carries what state recorded (old) and what EnOS says now (new), the step
 * after it carries the program's inputs (what is desired) and what `up` would do.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { isJudged, judge, type Sighting } from "./classify.js";
import type { ResourceDrift } from "./model.js";

type Props = Record<string, unknown>;

interface Seen {
  type: string;
  refreshed: boolean;
  stored?: Props;
  observed?: Props;
  desired?: Props;
  op?: string;
}

interface StepMetadata {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly old?: { readonly id?: string; readonly inputs?: Props; readonly outputs?: Props };
  readonly new?: { readonly id?: string; readonly inputs?: Props; readonly outputs?: Props };
}

/** The error lines of a failed run, in order, each on one line. */
export interface Collected {
  readonly resources: readonly ResourceDrift[];
  readonly otherResources: number;
  readonly errors: readonly string[];
}

/** Collects the events of one preview as they arrive; `result()` judges what was seen. */
export class EventCollector {
  private readonly seen = new Map<string, Seen>();
  private readonly errors: string[] = [];

  readonly onEvent = (event: EngineEvent): void => {
    const diagnostic = event.diagnosticEvent;
    if (diagnostic && diagnostic.severity === "error") {
      const line = diagnostic.message.replace(/\s+/g, " ").trim();
      if (line !== "") this.errors.push(line);
    }
    const pre = event.resourcePreEvent?.metadata as StepMetadata | undefined;
    const outputs = event.resOutputsEvent?.metadata as StepMetadata | undefined;
    if (pre) this.record(pre, "pre");
    if (outputs) this.record(outputs, "outputs");
  };

  private record(m: StepMetadata, phase: "pre" | "outputs"): void {
    const entry = this.seen.get(m.urn) ?? { type: m.type, refreshed: false };
    this.seen.set(m.urn, entry);
    if (m.op === "refresh") {
      // The refresh's result is known only once it ran: its outputs event. Read returning no id is "gone".
      entry.stored = m.old?.outputs ?? entry.stored;
      if (phase === "outputs") {
        entry.refreshed = true;
        entry.observed = m.new?.id ? m.new.outputs : undefined;
      }
      return;
    }
    entry.op = m.op;
    if (m.new?.inputs) entry.desired = m.new.inputs;
    if (!entry.stored && m.old?.outputs) entry.stored = m.old.outputs;
  }

  result(): Collected {
    const resources: ResourceDrift[] = [];
    let otherResources = 0;
    for (const [urn, entry] of this.seen) {
      if (!isJudged(entry.type)) {
        otherResources++;
        continue;
      }
      const sighting: Sighting = {
        urn,
        type: entry.type,
        stored: entry.stored ?? {},
        // Not refreshed (not in state, or the refresh never got to it): nothing observed beyond state.
        observed: entry.refreshed ? entry.observed : entry.stored,
        desired: entry.desired,
        op: entry.op,
        inState: entry.stored !== undefined,
      };
      resources.push(judge(sighting));
    }
    return { resources: order(resources), otherResources, errors: this.errors };
  }
}

/** Drifted rows first, then by name: the order every format shows. */
export function order(rows: readonly ResourceDrift[]): ResourceDrift[] {
  const rank = (r: ResourceDrift): number => (r.drift === "none" ? 1 : 0);
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}
