/** A client wired to a loopback server, with instant recorded sleeps and recorded call events. */
import { afterEach, beforeEach, expect } from "vitest";
import { EnosClient, type EnosCallEvent, type EnosClientOptions } from "../../../provider/client/index.js";
import { resetProcessGlobals } from "../../../provider/registry.js";
import { ACCESS_KEY, SECRET_KEY, startLoopback, type Loopback } from "./loopback.js";

export interface TestClient {
  readonly client: EnosClient;
  /** Delays the client asked to sleep, in order. */
  readonly sleeps: number[];
  readonly events: EnosCallEvent[];
}

export function clientFor(lb: Loopback, options: EnosClientOptions = {}, accessKey = ACCESS_KEY): TestClient {
  const sleeps: number[] = [];
  const events: EnosCallEvent[] = [];
  const client = new EnosClient(
    { apiGateway: lb.url, accessKey, secretKey: SECRET_KEY },
    {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      onCall: (event) => events.push(event),
      random: () => 0.5,
      ...options,
    },
  );
  return { client, sleeps, events };
}

/**
 * A fresh loopback server per test. After each test: the server is closed, process globals (token cache,
 * shared dispatcher, listings) are reset, and the server must have seen no unscripted call or failed assertion.
 */
export function useLoopback(): { readonly lb: Loopback } {
  let current: Loopback | undefined;
  beforeEach(async () => {
    current = await startLoopback();
  });
  afterEach(async () => {
    const lb = current;
    current = undefined;
    if (lb === undefined) return;
    await lb.close();
    resetProcessGlobals();
    expect(lb.handlerErrors).toEqual([]);
    expect(lb.unexpected.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
  return {
    get lb(): Loopback {
      if (current === undefined) throw new Error("loopback not started");
      return current;
    },
  };
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}
