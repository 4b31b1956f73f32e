import { describe, expect, it } from "vitest";
import { EnosApiError, EnosTransportError } from "../../../provider/client/index.js";
import {
  accessToken,
  invalidateToken,
  refreshMarginMs,
  type IssuedToken,
  type TokenSlot,
} from "../../../provider/client/token.js";

const call = { method: "POST", path: "/apim-token-service/v2.0/token/get" };

function fakeFetcher(lifetimeSeconds = 7200) {
  const calls: { kind: string; current: string | undefined }[] = [];
  let n = 0;
  const fetch = async (kind: "get" | "refresh", current: string | undefined): Promise<IssuedToken> => {
    calls.push({ kind, current });
    await Promise.resolve();
    n++;
    return { accessToken: `tok-${n}`, expireSeconds: lifetimeSeconds };
  };
  return { calls, fetch };
}

const newSlot = (): TokenSlot => ({ token: undefined, inflight: undefined });

describe("token cache", () => {
  it("fetches once and serves the cached token until the refresh point", async () => {
    let now = 1_000_000;
    const clock = (): number => now;
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher();
    expect(await accessToken(slot, clock, fetch)).toBe("tok-1");
    now += 7200_000 - 300_000 - 1; // one ms before "5 minutes before expiry"
    expect(await accessToken(slot, clock, fetch)).toBe("tok-1");
    expect(calls).toEqual([{ kind: "get", current: undefined }]);
  });

  it("refreshes 5 minutes before expiry with token/refresh and the current token", async () => {
    let now = 0;
    const clock = (): number => now;
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher();
    await accessToken(slot, clock, fetch);
    now = 7200_000 - 300_000;
    expect(await accessToken(slot, clock, fetch)).toBe("tok-2");
    expect(calls[1]).toEqual({ kind: "refresh", current: "tok-1" });
  });

  it("uses token/get once the token has expired", async () => {
    let now = 0;
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher();
    await accessToken(slot, () => now, fetch);
    now = 7200_000;
    await accessToken(slot, () => now, fetch);
    expect(calls.map((c) => c.kind)).toEqual(["get", "get"]);
  });

  it("renews short-lived tokens at half their lifetime", async () => {
    expect(refreshMarginMs(7200_000)).toBe(300_000);
    expect(refreshMarginMs(60_000)).toBe(30_000);
    let now = 0;
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher(60);
    await accessToken(slot, () => now, fetch);
    now = 29_999;
    await accessToken(slot, () => now, fetch);
    now = 30_000;
    await accessToken(slot, () => now, fetch);
    expect(calls.map((c) => c.kind)).toEqual(["get", "refresh"]);
  });

  it("shares one request among concurrent callers (single flight)", async () => {
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => accessToken(slot, () => 0, fetch)));
    expect(new Set(tokens)).toEqual(new Set(["tok-1"]));
    expect(calls).toHaveLength(1);
    expect(slot.inflight).toBeUndefined();
  });

  it("falls back to token/get when refresh is refused", async () => {
    let now = 0;
    const slot = newSlot();
    const kinds: string[] = [];
    const fetch = async (kind: "get" | "refresh"): Promise<IssuedToken> => {
      kinds.push(kind);
      await Promise.resolve();
      if (kind === "refresh") {
        throw new EnosApiError({
          call,
          code: 1204,
          msg: "failed to refresh",
          requestId: undefined,
          httpStatus: 200,
          retryable: false,
          fromEnvelope: true,
        });
      }
      return { accessToken: `tok-${kinds.length}`, expireSeconds: 7200 };
    };
    await accessToken(slot, () => now, fetch);
    now = 7000_000;
    expect(await accessToken(slot, () => now, fetch)).toBe("tok-3");
    expect(kinds).toEqual(["get", "refresh", "get"]);
  });

  it("keeps serving a still-valid token when renewal fails, and backs off", async () => {
    let now = 0;
    const slot = newSlot();
    let failing = false;
    let count = 0;
    const fetch = async (): Promise<IssuedToken> => {
      count++;
      await Promise.resolve();
      if (failing) throw new EnosTransportError(call, false, "ECONNREFUSED", "down");
      return { accessToken: `tok-${count}`, expireSeconds: 7200 };
    };
    await accessToken(slot, () => now, fetch);
    failing = true;
    now = 7000_000;
    expect(await accessToken(slot, () => now, fetch)).toBe("tok-1");
    expect(await accessToken(slot, () => now + 1000, fetch)).toBe("tok-1");
    expect(count).toBe(2); // the second call is inside the renewal backoff
    now = 7200_000; // expired: the failure surfaces
    await expect(accessToken(slot, () => now, fetch)).rejects.toSatisfy((e) =>
      EnosTransportError.isInstance(e),
    );
  });

  it("invalidates only the token that was reported stale", async () => {
    const slot = newSlot();
    const { calls, fetch } = fakeFetcher();
    await accessToken(slot, () => 0, fetch);
    invalidateToken(slot, "some-older-token");
    expect(await accessToken(slot, () => 0, fetch)).toBe("tok-1");
    invalidateToken(slot, "tok-1");
    invalidateToken(slot, "tok-1");
    expect(await accessToken(slot, () => 0, fetch)).toBe("tok-2");
    expect(calls.map((c) => c.kind)).toEqual(["get", "get"]);
  });
});
