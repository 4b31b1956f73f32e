import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, type Seed, defaultSeed } from "../../simulator/index.js";
import { FLOWS, ORG, TestCaller, USER, codeOf, withSim } from "./helpers.js";

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const seed: Seed = {
  ...defaultSeed,
  orgs: [...(defaultSeed.orgs ?? []), { orgId: "o-two" }],
  users: [
    ...(defaultSeed.users ?? []),
    { userId: "u-visitor", orgId: ORG },
    { userId: "u-stranger", orgId: ORG },
    { userId: "u-elsewhere", orgId: "o-two" },
  ],
  flows: [
    ...(defaultSeed.flows ?? []),
    {
      flowId: 4000,
      orgId: ORG,
      owner: "u-demo;u-visitor2",
      visitor: "u-visitor",
      freq: "0 0 2 * * ? *",
      cycle: "D",
    },
    { flowId: 5000, orgId: "o-two", owner: "u-elsewhere" },
  ],
};

async function start(): Promise<TestCaller> {
  const made = await withSim({ seed, delays: { start: 0, pause: 0, stop: 0, release: 0 } });
  sim = made.sim;
  return made.caller;
}

describe("batch flows v2.1", () => {
  it("get returns the documented flow fields", async () => {
    const caller = await start();
    const res = await caller.getFlow(3377);
    expect(res.json).toMatchObject({ code: 0, msg: "OK" });
    expect(res.json.data).toEqual({
      flowId: 3377,
      flowName: "Demo flow 3377",
      active: 0,
      freq: expect.any(String),
      cycle: expect.any(String),
      owner: "u-demo",
      visitor: "",
      creator: "u-demo",
      createTime: expect.any(Number),
      updateUser: "u-demo",
      updateTime: expect.any(Number),
      type: 1,
      locked: 0,
      isUserLocked: false,
      hasEditPri: true,
      hasReadPri: true,
      parameters: [],
      desc: "",
      startTime: null,
      alertMode: 0,
    });
    expect((await caller.getFlow(3378)).json.data.active).toBe(1);
    const visitor = await caller.getFlow(4000, "u-visitor");
    expect(visitor.json.data).toMatchObject({
      hasEditPri: false,
      hasReadPri: true,
      owner: "u-demo;u-visitor2",
    });
  });

  it("enable and disable change active; enabling an active flow is a successful no-op", async () => {
    const caller = await start();
    const enabled = await caller.setFlow("enable", 3377);
    expect(enabled.json).toEqual({ code: 0, msg: "OK", requestId: expect.any(String), data: "" });
    expect((await caller.getFlow(3377)).json.data.active).toBe(1);
    const before = (await sim!.admin.state()).flows.find((f) => f.flowId === 3378)!;
    expect(codeOf(await caller.setFlow("enable", 3378))).toBe(0);
    const after = (await sim!.admin.state()).flows.find((f) => f.flowId === 3378)!;
    expect(after).toEqual(before);
    expect(codeOf(await caller.setFlow("disable", 3378))).toBe(0);
    expect((await caller.getFlow(3378)).json.data.active).toBe(0);
    // Owner lists are ";"-separated.
    expect(codeOf(await caller.setFlow("enable", 4000))).toBe(0);
    // flowId as a numeric string in the body is accepted too.
    expect(codeOf(await caller.setFlow("disable", "4000"))).toBe(0);
  });

  it("62101 for an unknown user or a user of another org", async () => {
    const caller = await start();
    expect(codeOf(await caller.getFlow(3377, "u-nobody"))).toBe(62101);
    expect(codeOf(await caller.setFlow("enable", 3377, "u-elsewhere"))).toBe(62101);
  });

  it("62102 for an unknown flow, a flow of another org, a missing flowId/userId/orgId or a bad action", async () => {
    const caller = await start();
    const unknown = await caller.getFlow(999);
    expect(unknown.json).toMatchObject({ code: 62102, data: null });
    expect(unknown.json.msg).toContain("flow 999 does not exist");
    expect(codeOf(await caller.setFlow("enable", 999))).toBe(62102);
    expect(codeOf(await caller.getFlow(5000))).toBe(62102);
    expect(codeOf(await caller.getFlow("abc"))).toBe(62102);
    expect(codeOf(await caller.setFlow("enable", null))).toBe(62102);
    expect(
      codeOf(
        await caller.call("POST", FLOWS, {
          query: { action: "enable", userId: USER, orgId: ORG },
          body: "[]",
        }),
      ),
    ).toBe(62102);
    expect(
      codeOf(await caller.call("GET", FLOWS, { query: { action: "get", flowId: "3377", orgId: ORG } })),
    ).toBe(62102);
    expect(
      codeOf(await caller.call("GET", FLOWS, { query: { action: "get", flowId: "3377", userId: USER } })),
    ).toBe(62102);
    expect(
      codeOf(await caller.call("GET", FLOWS, { query: { action: "trigger", userId: USER, orgId: ORG } })),
    ).toBe(62102);
    expect(
      codeOf(await caller.call("GET", FLOWS, { query: { action: "enable", userId: USER, orgId: ORG } })),
    ).toBe(62102);
  });

  it("62103 when the user does not own the flow (or cannot read it)", async () => {
    const caller = await start();
    const res = await caller.setFlow("enable", 4000, "u-visitor");
    expect(res.json.code).toBe(62103);
    expect(res.json.msg).toContain("owner");
    expect(codeOf(await caller.getFlow(3377, "u-stranger"))).toBe(62103);
  });

  it("62105 for a locked user or a locked flow; get still works and reports it", async () => {
    const caller = await start();
    await sim!.admin.setUser(USER, { locked: true });
    const userLocked = await caller.setFlow("enable", 3377);
    expect(userLocked.json.code).toBe(62105);
    expect(userLocked.json.msg).toMatch(/User u-demo is locked/);
    expect((await caller.getFlow(3377)).json.data.isUserLocked).toBe(true);
    await sim!.admin.setUser(USER, { locked: false });

    await sim!.admin.setFlow(3377, { locked: true });
    const flowLocked = await caller.setFlow("enable", 3377);
    expect(flowLocked.json.code).toBe(62105);
    expect(flowLocked.json.msg).toMatch(/Flow 3377 is locked/);
    expect((await caller.getFlow(3377)).json.data.locked).toBe(1);
    expect((await caller.getFlow(3377)).json.data.active).toBe(0);
  });

  it("admin flow changes (a console user disabling a flow) are visible", async () => {
    const caller = await start();
    await sim!.admin.setFlow(3378, { active: 0 });
    expect((await caller.getFlow(3378)).json.data.active).toBe(0);
    await sim!.admin.setFlow(3378, { active: true, owner: "u-visitor" });
    expect(codeOf(await caller.setFlow("disable", 3378))).toBe(62103);
  });
});
