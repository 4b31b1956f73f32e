import type * as pulumi from "@pulumi/pulumi";

/** Which implementation a thin provider loads. */
export type ProviderKind = "pipeline" | "flow";

/**
 * The provider object Pulumi serialises into each resource's `__provider`. It holds no code of ours and no
 * settings: every call loads the implementation from the `pulumi-enos` package installed in the Pulumi
 * project (resolved from the project directory, the host's working directory), so state written by one
 * version is refreshed and destroyed by the version installed now, and credentials arrive only through
 * `configure`.
 *
 * Its text is stored once per resource, and the serialiser wraps every function in ~200 bytes, so there are
 * as few functions as the host's call shapes allow: configure(req), check(olds, news) and create(inputs)
 * are told apart by their arguments and share one; diff/update and read/delete have identical shapes and
 * cannot. The result stays about 2 KB per resource (test/examples checks the bound; `npm run bench` measures it).
 */
export function thinProvider(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  type Impl = Record<string, (...args: unknown[]) => unknown>;
  type Package = { providerImplementation: (k: ProviderKind) => Impl };
  // A `require` at call time, inside the host: an import here would be serialised by value. When it fails
  // (destroy run from a project without the package, node_modules removed), say where and what fixes it
  // instead of a bare "Cannot find module" with a require stack. Terse: this text is stored per resource, so
  // the message carries the cause's first line rather than a `cause` (the host prints only message and stack).
  /* eslint-disable @typescript-eslint/no-require-imports, preserve-caught-error */
  const impl = (): Impl => {
    try {
      return (
        (require("module") as typeof import("module")).createRequire(`${process.cwd()}/package.json`)(
          "pulumi-enos",
        ) as Package
      ).providerImplementation(kind);
    } catch (e) {
      throw new Error(
        `Cannot load pulumi-enos from project dir ${process.cwd()} (${(e as Error).message.split("\n")[0]}): run \`npm install\` there, with pulumi-enos in package.json`,
      );
    }
  };
  /* eslint-enable @typescript-eslint/no-require-imports, preserve-caught-error */
  const first = (...a: unknown[]) =>
    impl()[a.length > 1 ? "check" : (a[0] as { config?: unknown }).config ? "configure" : "create"]?.(...a);
  return {
    configure: first,
    check: first,
    create: first,
    diff: (...a: unknown[]) => impl().diff?.(...a),
    update: (...a: unknown[]) => impl().update?.(...a),
    read: (...a: unknown[]) => impl().read?.(...a),
    delete: (...a: unknown[]) => impl().delete?.(...a),
  } as unknown as pulumi.dynamic.ResourceProvider;
}
