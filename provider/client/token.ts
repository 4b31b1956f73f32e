/**
 * Access-token cache, one entry per set of credentials (gateway, access key and secret key, see
 * {@link credentialKey}) for the whole process, so every resource in a provider host shares one token and one
 * token request, and a client given a wrong secret never borrows the token another client got with the right one.
 *
 * - A token is renewed `refreshMarginMs` before it expires (5 minutes, or half the lifetime for short-lived
 *   tokens), with `token/refresh` while the old one is still valid and `token/get` otherwise.
 * - Concurrent callers share one in-flight request (single flight).
 * - When renewal fails while the old token is still valid, the old token keeps serving and renewal is retried
 *   later, so a token-service hiccup does not fail calls that would have worked.
 * - After a 1203 (token expired) the caller invalidates the token it used; the next caller fetches a new one.
 */
import { createHash } from "node:crypto";
import { processGlobal } from "../registry.js";
import { EnosApiError } from "./errors.js";

/** A token as the token service returned it. */
export interface IssuedToken {
  readonly accessToken: string;
  /** Lifetime in seconds, from the `expire` field. */
  readonly expireSeconds: number;
}

/** Performs the token calls (the client supplies it; it owns signing, transport and retries). */
export type TokenFetcher = (kind: "get" | "refresh", current: string | undefined) => Promise<IssuedToken>;

interface CachedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
  refreshAt: number;
}

/** The cache entry of one set of credentials. */
export interface TokenSlot {
  token: CachedToken | undefined;
  inflight: Promise<CachedToken> | undefined;
}

const FIVE_MINUTES_MS = 5 * 60_000;
/** After a failed renewal with a still-valid token, wait this long before trying again. */
const RENEWAL_BACKOFF_MS = 30_000;

/** How early a token with this lifetime is renewed. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(FIVE_MINUTES_MS, lifetimeMs / 2);
}

/**
 * Identifies gateway + access key + secret key as a hash (the secret never appears in it). Every process-wide
 * cache of EnOS answers is keyed by it (tokens, listings, clients), so two sets of credentials never share one.
 */
export function credentialKey(apiGateway: string, accessKey: string, secretKey: string): string {
  return createHash("sha256").update(`${apiGateway}\u0000${accessKey}\u0000${secretKey}`).digest("hex");
}

/** The process-wide slot for one {@link credentialKey}. */
export function tokenSlot(key: string): TokenSlot {
  const slots = processGlobal("pulumi-enos.client.tokens.v2", () => new Map<string, TokenSlot>());
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = { token: undefined, inflight: undefined };
    slots.set(key, slot);
  }
  return slot;
}

async function renew(
  old: CachedToken | undefined,
  startedAt: number,
  fetch: TokenFetcher,
): Promise<CachedToken> {
  let issued: IssuedToken;
  if (old !== undefined && startedAt < old.expiresAt) {
    try {
      issued = await fetch("refresh", old.accessToken);
    } catch (err) {
      // Refresh is an optimisation; any EnOS answer (1204, 1203, ...) means: just get a new one.
      if (!EnosApiError.isInstance(err)) {
        throw err;
      }
      issued = await fetch("get", undefined);
    }
  } else {
    issued = await fetch("get", undefined);
  }
  const lifetimeMs = issued.expireSeconds * 1000;
  const expiresAt = startedAt + lifetimeMs;
  return { accessToken: issued.accessToken, expiresAt, refreshAt: expiresAt - refreshMarginMs(lifetimeMs) };
}

function startRenewal(
  slot: TokenSlot,
  cached: CachedToken | undefined,
  now: number,
  clock: () => number,
  fetch: TokenFetcher,
): Promise<CachedToken> {
  const flight: Promise<CachedToken> = renew(cached, now, fetch).then(
    (fresh) => {
      slot.token = fresh;
      return fresh;
    },
    (err: unknown) => {
      const later = clock();
      if (cached !== undefined && later < cached.expiresAt) {
        cached.refreshAt = Math.min(later + RENEWAL_BACKOFF_MS, cached.expiresAt);
        return cached;
      }
      throw err;
    },
  );
  const clear = (): void => {
    if (slot.inflight === flight) {
      slot.inflight = undefined;
    }
  };
  void flight.then(clear, clear);
  slot.inflight = flight;
  return flight;
}

/** A valid access token: the cached one, or a renewed one shared by all concurrent callers. */
export async function accessToken(
  slot: TokenSlot,
  clock: () => number,
  fetch: TokenFetcher,
): Promise<string> {
  const cached = slot.token;
  const now = clock();
  if (cached !== undefined && now < cached.refreshAt) {
    return cached.accessToken;
  }
  const flight = slot.inflight ?? startRenewal(slot, cached, now, clock, fetch);
  return (await flight).accessToken;
}

/** Forget `staleToken` (after a 1203) unless a newer token has replaced it already. */
export function invalidateToken(slot: TokenSlot, staleToken: string): void {
  if (slot.token?.accessToken === staleToken) {
    slot.token = undefined;
  }
}
