import { forgetAdoptions } from "../../provider/lifecycle/adoption.js";
import { afterEach, describe, expect, it } from "vitest";
import { defaultSeed } from "../../simulator/index.js";
import { fixture, type Fixture } from "./support.js";

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

type Props = Record<string, unknown>;
const owner = { orgId: "o-demo", userId: "u-demo" };

async function adopt(fx: Fixture, inputs: Props) {
  const checked = await fx.flows.check({}, inputs);
  expect(checked.failures).toEqual([]);
  const created = await fx.flows.create(checked.inputs as Props);
  return { id: created.id, outs: created.outs as Props };
}

async function up(fx: Fixture, id: string, olds: Props, inputs: Props) {
  const checked = await fx.flows.check(olds, inputs);
  const diff = await fx.flows.diff(id, olds, checked.inputs as Props);
  if (!diff.changes) return { diff, outs: olds };
  return { diff, outs: (await fx.flows.update(id, olds, checked.inputs as Props)).outs as Props };
}

const active = async (fx: Fixture, flowId: number) =>
  (await fx.sim.admin.state()).flows.find((fl) => fl.flowId === flowId)?.active;

describe("EnosFlowSchedule against the simulator", () => {
  it("adopts a disabled flow and enables it, verified by reading it back", async () => {
    f = await fixture();
    const { id, outs } = await adopt(f, { flowId: 3377, ...owner });
    expect(id).toBe("3377");
    expect(outs).toMatchObject({
      active: true,
      adoptedActive: false,
      enabled: true,
      locked: false,
      schemaVersion: 1,
    });
    expect(outs.flowName).toEqual(expect.any(String));
    expect(outs.cron).toEqual(expect.any(String));
    expect(await active(f, 3377)).toBe(1);
    expect((await f.mutations()).map((m) => m.endpoint)).toEqual(["enableFlow"]);
  });

  it("adopts an enabled flow that is already as desired with no mutation", async () => {
    f = await fixture();
    const { outs } = await adopt(f, { flowId: 3378, ...owner });
    expect(outs).toMatchObject({ active: true, adoptedActive: true });
    expect(await f.mutations()).toEqual([]);
  });

  it("toggles, and an unchanged second up makes no mutation", async () => {
    f = await fixture();
    const first = await adopt(f, { flowId: 3378, ...owner });
    const off = await up(f, first.id, first.outs, { flowId: 3378, ...owner, enabled: false });
    expect(off.outs.active).toBe(false);
    expect(await active(f, 3378)).toBe(0);
    const mark = await f.mark();
    const again = await up(f, first.id, off.outs, { flowId: 3378, ...owner, enabled: false });
    expect(again.diff.changes).toBe(false);
    expect(await f.mutations(mark)).toEqual([]);
  });

  it("detects a flow disabled in the console and heals it", async () => {
    f = await fixture();
    const first = await adopt(f, { flowId: 3378, ...owner });
    await f.sim.admin.setFlow(3378, { active: 0 });
    const read = await f.flows.read(first.id, first.outs);
    expect(read.props?.active).toBe(false);
    const healed = await up(f, first.id, read.props as Props, { flowId: 3378, ...owner });
    expect(healed.diff.changes).toBe(true);
    expect(f.logs.some((l) => /flow 3378 .*is disabled, desired enabled: will enable/.test(l))).toBe(true);
    expect(healed.outs.active).toBe(true);
    expect(await active(f, 3378)).toBe(1);
  });

  it.each([
    ["DISABLE", 3378, 0, ["disableFlow"]],
    ["KEEP", 3378, 1, []],
    ["RESTORE", 3377, 0, ["disableFlow"]],
    ["RESTORE", 3378, 1, []],
  ])("onDelete %s on flow %d leaves active=%d", async (onDelete, flowId, final, expected) => {
    f = await fixture();
    const first = await adopt(f, { flowId, ...owner, onDelete });
    const mark = await f.mark();
    forgetAdoptions(); // `pulumi destroy`: a new command, which checks nothing
    await f.flows.delete(first.id, first.outs);
    expect(await active(f, flowId)).toBe(final);
    expect((await f.mutations(mark)).map((m) => m.endpoint)).toEqual(expected);
  });

  it("hands a flow over instead of disabling it when another resource of this update declared it", async () => {
    f = await fixture();
    const old = await adopt(f, { flowId: 3377, ...owner, onDelete: "DISABLE" });
    forgetAdoptions(); // the next `pulumi up`, after a rename
    const mark = await f.mark();
    const renamed = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/enos:EnosFlowSchedule::nachtlich";
    await adopt(f, { flowId: 3377, ...owner, adopterUrn: renamed });
    await f.flows.delete(old.id, old.outs);
    expect(await f.mutations(mark)).toEqual([]);
    expect(await active(f, 3377)).toBe(1);
    expect(f.logs).toContain(`flow 3377: adopted by ${renamed} in this update; not disabling it`);
  });

  it("refuses a user who does not own the flow, naming the owner, changing nothing", async () => {
    f = await fixture();
    await f.sim.admin.setFlow(3377, { owner: "u-other", visitor: "u-demo" });
    const checked = await f.flows.check({}, { flowId: 3377, ...owner });
    const error = await f.flows.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(/user u-demo does not own flow 3377 .*owners: u-other.*Set userId/);
    expect(await f.mutations()).toEqual([]);
  });

  it("explains an unknown user (62101)", async () => {
    f = await fixture();
    const checked = await f.flows.check({}, { flowId: 3377, orgId: "o-demo", userId: "u-ghost" });
    const error = await f.flows.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(/user u-ghost does not exist in org o-demo.*62101/);
    expect(await f.mutations()).toEqual([]);
  });

  it("explains an unknown flow", async () => {
    f = await fixture();
    const checked = await f.flows.check({}, { flowId: 999999, ...owner });
    const error = await f.flows.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(/no flow 999999 in org o-demo.*never creates one/);
  });

  it("refuses to toggle a locked flow, and says how to unlock it", async () => {
    f = await fixture();
    await f.sim.admin.setFlow(3377, { locked: true });
    const checked = await f.flows.check({}, { flowId: 3377, ...owner });
    const error = await f.flows.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /3377 .*cannot enable .*the flow is locked\. Unlock it in the EnOS console/,
    );
    expect(await f.mutations()).toEqual([]);
  });

  it("refuses to toggle for a locked user", async () => {
    f = await fixture();
    await f.sim.admin.setUser("u-demo", { locked: true });
    const checked = await f.flows.check({}, { flowId: 3377, ...owner });
    const error = await f.flows.create(checked.inputs as Props).catch((e: unknown) => e);
    expect(String(error)).toMatch(/cannot enable .*(user u-demo is locked|account is locked)/);
    expect(await f.mutations()).toEqual([]);
  });

  it("forgets a flow deleted in EnOS on refresh", async () => {
    f = await fixture({ flows: 1 });
    const first = await adopt(f, { flowId: 100001, ...owner });
    const state = await f.sim.admin.state();
    expect(state.flows.some((fl) => fl.flowId === 100001)).toBe(true);
    await f.sim.admin.reset(defaultSeed); // the default seed has no flow 100001
    const read = await f.flows.read(first.id, first.outs);
    expect(read.id).toBeUndefined();
  });

  it("toggles 20 flows concurrently", async () => {
    f = await fixture({ flows: 20 });
    const ids = Array.from({ length: 20 }, (_, i) => 100001 + i);
    const results = await Promise.all(
      ids.map((flowId) => adopt(f!, { flowId, ...owner, enabled: flowId % 2 === 0 })),
    );
    expect(results.map((r) => r.outs.active)).toEqual(ids.map((id) => id % 2 === 0));
    const state = await f.sim.admin.state();
    for (const id of ids)
      expect(state.flows.find((fl) => fl.flowId === id)?.active).toBe(id % 2 === 0 ? 1 : 0);
    expect((await f.mutations()).length).toBe(20);
  });
});
