import type * as pulumi from "@pulumi/pulumi";

/** Which implementation a thin provider loads. */
export type ProviderKind = "pipeline" | "flow";

/**
 * The provider object Pulumi serialises into each resource's `__provider`. It holds no code of ours and no
 * settings: every call loads the implementation from the `pulumi-enos` package installed in the Pulumi
 * project (resolved from the project directory, the host's working directory), so state written by one
 * version is refreshed and destroyed by the version installed now, and credentials arrive only through
 * `configure`. Kept to a few hundred bytes: its text is stored once per resource.
 */
export function thinProvider(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  const load = (): Record<string, (...args: unknown[]) => unknown> => {
    // Runs inside the dynamic-provider host; a package import here would be serialised by value.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const project = require("module").createRequire(`${process.cwd()}/package.json`) as NodeJS.Require;
    return (
      project("pulumi-enos") as { providerImplementation: (k: string) => never }
    ).providerImplementation(kind);
  };
  const call =
    (method: string) =>
    (...args: unknown[]) =>
      load()[method]?.(...args);
  return {
    configure: call("configure"),
    check: call("check"),
    diff: call("diff"),
    create: call("create"),
    read: call("read"),
    update: call("update"),
    delete: call("delete"),
  } as unknown as pulumi.dynamic.ResourceProvider;
}
