import { describe, expect, it } from "vitest";
import { clientFor, useLoopback } from "./helpers/client.js";
import { ok, type Handler, type Loopback } from "./helpers/loopback.js";

const TOTAL = 150;

/** Released pipelines p0..p149 in org o1, served in pages after a short delay so concurrent callers overlap. */
function serveListing(
  lb: Loopback,
  statusOf: (i: number) => string = () => "RUNNING",
): { listings: () => number } {
  const handler: Handler = async (req, res) => {
    expect(req.query.get("ifReleased")).toBe("true");
    expect(req.query.get("orgId")).toBe("o1");
    const pageNo = Number(req.query.get("pageNo"));
    const pageSize = Number(req.query.get("pageSize"));
    await new Promise((r) => setTimeout(r, 20));
    const ids = Array.from({ length: TOTAL }, (_, i) => i).slice((pageNo - 1) * pageSize, pageNo * pageSize);
    ok({
      count: ids.length,
      pipelines: ids.map((i) => ({
        pipelineId: `p${i}`,
        pipelineName: `n${i}`,
        status: statusOf(i),
        version: "1",
      })),
    })(req, res);
  };
  lb.route((req) => req.path === "/streaming/v2.0/streaming/pipelines", handler);
  return { listings: () => lb.received.filter((r) => r.query.get("pageNo") === "1").length };
}

describe("getPipelineStatus coalescing", () => {
  const ctx = useLoopback();

  it("200 concurrent reads in one org cost one paged listing", async () => {
    const { lb } = ctx;
    const { listings } = serveListing(lb);
    const { client } = clientFor(lb);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.getPipelineStatus("o1", `p${i % TOTAL}`)),
    );
    expect(listings()).toBe(1);
    expect(lb.received).toHaveLength(2); // pages 1 and 2 of one listing
    expect(results[7]).toEqual({
      pipelineId: "p7",
      pipelineName: "n7",
      status: "RUNNING",
      version: "1",
      orgId: undefined,
      executionMode: undefined,
    });
    expect(results.every((r, i) => r?.pipelineId === `p${i % TOTAL}`)).toBe(true);
  });

  it("is shared by separate clients of the same gateway in one process", async () => {
    const { lb } = ctx;
    const { listings } = serveListing(lb);
    const clients = Array.from({ length: 5 }, () => clientFor(lb).client);
    await Promise.all(
      clients.flatMap((c) => [c.getPipelineStatus("o1", "p1"), c.getPipelineStatus("o1", "p2")]),
    );
    expect(listings()).toBe(1);
  });

  it("is never shared between two access keys: each set of credentials gets its own listing", async () => {
    const { lb } = ctx;
    const { listings } = serveListing(lb);
    const first = clientFor(lb).client;
    const second = clientFor(lb, {}, "another-access-key").client;
    await Promise.all([first.getPipelineStatus("o1", "p1"), second.getPipelineStatus("o1", "p1")]);
    expect(listings()).toBe(2);
  });

  it("resolves undefined for a pipeline that is not released", async () => {
    const { lb } = ctx;
    serveListing(lb);
    expect(await clientFor(lb).client.getPipelineStatus("o1", "never-released")).toBeUndefined();
  });

  it("notBefore after the in-flight listing started forces one fresh listing for all such callers", async () => {
    const { lb } = ctx;
    let listingNo = 0;
    const { listings } = serveListing(lb, () => (listingNo <= 1 ? "RUNNING" : "PAUSED"));
    let now = 1000;
    const { client } = clientFor(lb, { clock: () => now });
    const before = client.getPipelineStatus("o1", "p1");
    listingNo = 1;
    now = 2000; // "a pause was accepted at t=1500"
    const after = Array.from({ length: 50 }, () => client.getPipelineStatus("o1", "p1", { notBefore: 1500 }));
    const joiner = client.getPipelineStatus("o1", "p2"); // no notBefore: joins the in-flight listing
    expect((await before)?.status).toBe("RUNNING");
    expect((await joiner)?.status).toBe("RUNNING");
    listingNo = 2;
    const fresh = await Promise.all(after);
    expect(new Set(fresh.map((r) => r?.status))).toEqual(new Set(["PAUSED"]));
    expect(listings()).toBe(2);
  });

  it("a notBefore satisfied by the in-flight listing joins it", async () => {
    const { lb } = ctx;
    const { listings } = serveListing(lb);
    let now = 1000;
    const { client } = clientFor(lb, { clock: () => now });
    const a = client.getPipelineStatus("o1", "p1");
    now = 1500;
    const b = client.getPipelineStatus("o1", "p1", { notBefore: 1000 });
    await Promise.all([a, b]);
    expect(listings()).toBe(1);
  });

  it("sequential reads are not served from a cache", async () => {
    const { lb } = ctx;
    const { listings } = serveListing(lb);
    const { client } = clientFor(lb);
    await client.getPipelineStatus("o1", "p1");
    await client.getPipelineStatus("o1", "p1");
    expect(listings()).toBe(2);
  });

  it("different orgs list separately", async () => {
    const { lb } = ctx;
    lb.route(
      (req) => req.query.get("orgId") === "o2",
      ok({ pipelines: [{ pipelineId: "q1", pipelineName: "q", status: "STOPPED", version: 2 }] }),
    );
    serveListing(lb);
    const { client } = clientFor(lb);
    const [a, b] = await Promise.all([
      client.getPipelineStatus("o1", "p1"),
      client.getPipelineStatus("o2", "q1"),
    ]);
    expect([a?.status, b?.status]).toEqual(["RUNNING", "STOPPED"]);
  });
});
