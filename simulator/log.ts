/**
 * The request log and call counters. Credentials never enter it: headers are not recorded at all, and the
 * token service's `encryption` / `accessToken` body fields are redacted.
 */
import type { Route } from "./route.js";
import type { CallCounts, RequestLogEntry } from "./types.js";

const REDACTED = "[redacted]";
const SECRET_FIELDS = ["encryption", "accessToken", "appSecret", "secretKey"];

/** Body text fit for the log: token-service secrets replaced, everything else verbatim. */
export function redactBody(bodyText: string, route: Route): string | null {
  if (bodyText === "") return null;
  if (route.service !== "token") return bodyText;
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      const copy = { ...(parsed as Record<string, unknown>) };
      for (const field of SECRET_FIELDS) if (field in copy) copy[field] = REDACTED;
      return JSON.stringify(copy);
    }
  } catch {
    // fall through: unparseable token bodies are not logged
  }
  return REDACTED;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;
  private total = 0;
  private mutations = 0;
  private byEndpoint: Record<string, number> = {};

  constructor(private readonly maxEntries: number) {}

  /** Count a request as it arrives (so counts include calls later reset by a fault). */
  count(route: Route): void {
    this.total++;
    if (route.mutation) this.mutations++;
    this.byEndpoint[route.endpoint] = (this.byEndpoint[route.endpoint] ?? 0) + 1;
  }

  record(entry: Omit<RequestLogEntry, "seq">): RequestLogEntry {
    const full: RequestLogEntry = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    return full;
  }

  /** Entries with seq > `since` (all when omitted), oldest first. */
  list(since = 0): RequestLogEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  counts(): CallCounts {
    return { total: this.total, mutations: this.mutations, byEndpoint: { ...this.byEndpoint } };
  }

  /** Empty the log and zero the counters (seq keeps counting up, so `since` cursors stay valid). */
  clear(): void {
    this.entries = [];
    this.total = 0;
    this.mutations = 0;
    this.byEndpoint = {};
  }
}
