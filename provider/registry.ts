/**
 * Process-global registry for state that every resource in one provider host must share: the token cache,
 * the keep-alive dispatcher, per-org start locks and coalesced listings.
 *
 * The dynamic-provider host deserialises each resource type's `__provider` separately, and a package can be
 * loaded more than once (different resolution paths), so a module-level variable is not one-per-process.
 * `globalThis[Symbol.for(...)]` is.
 */
const REGISTRY_KEY = Symbol.for("pulumi-enos.process-registry.v1");

type Registry = Record<string, unknown>;

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  let found = holder[REGISTRY_KEY];
  if (found === undefined) {
    found = {};
    holder[REGISTRY_KEY] = found;
  }
  return found;
}

/** The process-wide value under `key`, created by `init` on first use. */
export function processGlobal<T>(key: string, init: () => T): T {
  const reg = registry();
  if (!(key in reg)) {
    reg[key] = init();
  }
  return reg[key] as T;
}

/** Forget every process-wide value (tests only: a fresh "process" without spawning one). */
export function resetProcessGlobals(): void {
  const reg = registry();
  for (const key of Object.keys(reg)) {
    // Values may hold sockets; owners that need closing register a `close` function.
    const value = reg[key] as { close?: () => unknown } | undefined;
    if (value && typeof value.close === "function") {
      void value.close();
    }
    Reflect.deleteProperty(reg, key);
  }
}
