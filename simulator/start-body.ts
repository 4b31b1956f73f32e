/**
 * Validation of the Start Pipeline body and the CUs it asks for.
 *
 * `{"executionMode": 0|1, "kafkaRate": <positive integer>, "resourceConfig": …}`
 * - standalone (0): `{"server": n}` or a bare number n; omitted = 1 CU. CUs = server.
 * - cluster (1): `{"server": n, "yarn": {"workerCount", "master", "slave"}, "advanced": [{key, value}]}`;
 *   CUs = server + master + slave × workerCount.
 * CU counts may be numbers or numeric strings (the vendor's own samples use both). Unknown keys are ignored,
 * as EnOS's JSON binding does.
 */
import { z } from "zod";
import type { Mode } from "./state.js";

const cuCount = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, "a positive number")
    .transform(Number)
    .pipe(z.number().positive()),
]);
const count = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+$/, "a positive integer").transform(Number).pipe(z.number().int().positive()),
]);

const advanced = z.array(z.object({ key: z.string().min(1), value: z.string() })).optional();

const standaloneConfig = z.union([cuCount, z.object({ server: cuCount, advanced })]).optional();

const clusterConfig = z.object({
  server: cuCount,
  yarn: z.object({ workerCount: count, master: count, slave: count }),
  advanced,
});

const common = { kafkaRate: z.number().int().positive() };

const startBodySchema = z.discriminatedUnion("executionMode", [
  z.object({ ...common, executionMode: z.literal(0), resourceConfig: standaloneConfig }),
  z.object({ ...common, executionMode: z.literal(1), resourceConfig: clusterConfig }),
]);

export interface StartRequest {
  readonly mode: Mode;
  readonly cu: number;
  /** The body as sent (parsed JSON), kept for the admin state. */
  readonly body: unknown;
}

/** Parse and check a start body; `error` says what is wrong in one line (it becomes the 61100 msg). */
export function parseStartBody(text: string): { ok: StartRequest } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: text.trim() === "" ? "the request body is empty" : "the request body is not valid JSON" };
  }
  const result = startBodySchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
    return { error: `${where}: ${issue?.message ?? "invalid"}` };
  }
  const parsed = result.data;
  if (parsed.executionMode === 0) {
    const rc = parsed.resourceConfig;
    const cu = rc === undefined ? 1 : typeof rc === "number" ? rc : rc.server;
    return { ok: { mode: 0, cu, body } };
  }
  const { server, yarn } = parsed.resourceConfig;
  return { ok: { mode: 1, cu: server + yarn.master + yarn.slave * yarn.workerCount, body } };
}
