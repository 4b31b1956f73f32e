/**
 * Batch processing service v2.1 (`/batch-processing-service/v2.1/flows?action=get|enable|disable`).
 *
 * Checks, in order: userId/orgId present (62102) → user exists in that org (62101) → flowId valid and the
 * flow exists in the org (62102) → [get] user may read the flow: owner, visitor or creator (62103)
 * → [enable/disable] user not locked (62105), user owns the flow (62103), flow not locked (62105).
 */
import { type Reply, fail, ok } from "./reply.js";
import type { FlowRecord, SimState, UserRecord } from "./state.js";
import type { ApiCall } from "./streaming.js";

function users(list: string): string[] {
  return list
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export class BatchApi {
  constructor(
    private readonly state: SimState,
    private readonly clock: () => number,
  ) {}

  handle(call: ApiCall): Reply {
    const { route, requestId } = call;
    const userId = call.query.get("userId") ?? "";
    if (userId === "") return fail(requestId, 62102, "Invalid parameter: userId is required");
    if (route.endpoint === "flows") {
      return fail(requestId, 62102, `Invalid parameter: action must be get (GET), enable or disable (POST)`);
    }
    const user = this.state.users.get(userId);
    if (user?.orgId !== call.orgId) {
      return fail(
        requestId,
        62101,
        `User ${userId} does not exist or does not belong to organization ${call.orgId}`,
      );
    }
    if (route.flowId === undefined) {
      return fail(
        requestId,
        62102,
        route.action === "get"
          ? "Invalid parameter: flowId (integer) is required in the query"
          : 'Invalid parameter: the body must be {"flowId": <integer>}',
      );
    }
    const flow = this.state.flows.get(route.flowId);
    if (flow?.orgId !== call.orgId) {
      return fail(
        requestId,
        62102,
        `Invalid parameter: flow ${route.flowId} does not exist in organization ${call.orgId}`,
      );
    }
    if (route.endpoint === "getFlow") return this.get(call, user, flow);
    return this.setActive(call, user, flow, route.endpoint === "enableFlow" ? 1 : 0);
  }

  private get(call: ApiCall, user: UserRecord, flow: FlowRecord): Reply {
    const isOwner = users(flow.owner).includes(user.userId);
    const canRead = isOwner || users(flow.visitor).includes(user.userId) || flow.creator === user.userId;
    if (!canRead) {
      return fail(call.requestId, 62103, `User ${user.userId} has no privilege on flow ${flow.flowId}`);
    }
    return ok(call.requestId, {
      flowId: flow.flowId,
      flowName: flow.flowName,
      active: flow.active,
      freq: flow.freq,
      cycle: flow.cycle,
      owner: flow.owner,
      visitor: flow.visitor,
      creator: flow.creator,
      createTime: flow.createTime,
      updateUser: flow.updateUser,
      updateTime: flow.updateTime,
      type: flow.type,
      locked: flow.locked ? 1 : 0,
      isUserLocked: user.locked,
      hasEditPri: isOwner,
      hasReadPri: canRead,
      parameters: flow.parameters,
      desc: flow.desc,
      startTime: flow.startTime,
      alertMode: flow.alertMode,
    });
  }

  private setActive(call: ApiCall, user: UserRecord, flow: FlowRecord, active: 0 | 1): Reply {
    if (user.locked) {
      return fail(call.requestId, 62105, `User ${user.userId} is locked`);
    }
    if (!users(flow.owner).includes(user.userId)) {
      return fail(
        call.requestId,
        62103,
        `User ${user.userId} has no privilege on flow ${flow.flowId}: only its owner (${flow.owner}) can ${active === 1 ? "enable" : "disable"} it`,
      );
    }
    if (flow.locked) {
      return fail(
        call.requestId,
        62105,
        `Flow ${flow.flowId} is locked and cannot be ${active === 1 ? "enabled" : "disabled"}; unlock it in the console first`,
      );
    }
    if (flow.active !== active) {
      flow.active = active;
      flow.updateTime = this.clock();
      flow.updateUser = user.userId;
    }
    return ok(call.requestId);
  }
}
