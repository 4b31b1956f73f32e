/**
 * The operation's deadline over the wire: no mutation is sent after it, retries stop when their pause would end
 * after it, and paging stops once its grace has passed. A virtual clock that only the client's sleeps (and the
 * scripted server) move: no assertion depends on how fast this machine is.
 */
import { describe, expect, it } from "vitest";
import { withDeadline } from "../../provider/client/deadline.js";
import { EnosApiError, EnosDeadlineError, type EnosClient } from "../../provider/client/index.js";
import { clientFor, rejection, useLoopback } from "./helpers/client.js";
import { ok, send, type Handler } from "./helpers/loopback.js";

const unavailable: Handler = (_req, res) => {
  send(res, 503, "<html>busy</html>", { "content-type": "text/html" });
};

/** A client whose clock starts at the real time and moves only by its own sleeps and `advance`. */
function virtualClient(lb: Parameters<typeof clientFor>[0], pageSize?: number) {
  const base = Date.now();
  let moved = 0;
  const clock = () => base + moved;
  const { client } = clientFor(lb, {
    clock,
    sleep: (ms) => {
      moved += ms;
      return Promise.resolve();
    },
    ...(pageSize === undefined ? {} : { pageSize }),
  });
  return { client, base, advance: (ms: number) => (moved += ms) };
}

const stop = (client: EnosClient) => client.stopPipeline("o1", "p1");
const lag = (client: EnosClient) => client.getOffsetLag("o1", "p1");

describe("the operation's deadline", () => {
  const ctx = useLoopback();

  it("a mutation is never sent once the deadline has passed", async () => {
    const { client, base } = virtualClient(ctx.lb);
    const error = await rejection(withDeadline(base - 1, () => stop(client)));
    expect(EnosDeadlineError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(
      /EnOS call POST \/streaming\/v2\.0\/streaming\/pipeline\/p1 not sent: the operation's deadline had passed/,
    );
    expect(ctx.lb.received).toEqual([]);
  });

  it("retries stop when the next pause would end after the deadline (3 attempts in 700 ms; 5 without one)", async () => {
    const { lb } = ctx;
    lb.script(
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
      unavailable,
    );
    const bounded = virtualClient(lb);
    // Pauses with random 0.5: 188 ms, 375 ms, then 750 ms, which would end after the deadline.
    const error = await rejection(withDeadline(bounded.base + 700, () => lag(bounded.client)));
    expect(EnosApiError.isInstance(error) && error.httpStatus).toBe(503);
    expect(lb.received).toHaveLength(3);

    const unbounded = virtualClient(lb);
    await rejection(lag(unbounded.client));
    expect(lb.received).toHaveLength(3 + 5);
  });

  it("paging stops once the deadline and its 5 s grace have passed", async () => {
    const { lb } = ctx;
    const { client, base, advance } = virtualClient(lb, 2);
    let page = 0;
    const fullPage: Handler = (req, res) => {
      advance(2_000); // each page takes 2 s on the virtual clock
      const from = 2 * page++;
      ok({
        pipelines: [0, 1].map((i) => ({ pipelineId: `p${from + i}`, pipelineName: "x", status: "RUNNING" })),
      })(req, res);
    };
    lb.script(...Array.from({ length: 10 }, () => fullPage));
    const error = await rejection(withDeadline(base + 3_000, () => client.listPipelines("o1")));
    expect(EnosDeadlineError.isInstance(error)).toBe(true);
    // Pages start at 0, 2, 4 and 6 s; the fifth would start at 8 s, past 3 s + 5 s.
    expect(lb.received).toHaveLength(4);
  });
});
