import * as pulumi from "@pulumi/pulumi";
import { ADOPTER_INPUT } from "../../lifecycle/adoption.js";

/**
 * The base of both resources: registers under the `enos` module, with stack traces switched off while it does.
 *
 * The SDK stores `new Error().stack` on the promise behind every output property (`debuggablePromise`), read
 * only if that promise is still pending when the program exits. The language host formats those stacks through
 * a source-map-aware `prepareStackTrace`, so one stack per output property, for every resource, made a no-op
 * `pulumi up` of many pipelines markedly slower than the same number of trivial resources (the figures are in
 * docs/performance.md and bench/results.json). The SDK's capture of the registration's source position and
 * stack sets its own limit, so it is unaffected.
 */
export abstract class EnosResource extends pulumi.dynamic.Resource {
  protected constructor(
    provider: pulumi.dynamic.ResourceProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    type: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      // The resource's own URN, so a delete of another resource on the same pipeline (a rename, a replace) can
      // name who took it over (lifecycle/adoption.ts). check drops it: it is never stored as an input.
      const adopterUrn = ownUrn(name, `pulumi-nodejs:dynamic/enos:${type}`, opts?.parent);
      super(provider, name, { ...props, [ADOPTER_INPUT]: adopterUrn }, opts, "enos", type);
    } catch (error) {
      // Raised while stack traces were off, it has none: give it the stack of the code that declared the
      // resource (the concrete class's caller), so the user still sees where in their program it failed.
      Error.stackTraceLimit = limit;
      if (error instanceof Error) Error.captureStackTrace(error, new.target);
      throw error;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/**
 * The URN the engine gives a resource, as `pulumi.createUrn` computes it, but as a plain promise: an Output of the
 * parent's URN would make the input depend on the parent, and the SDK expands a dependency on a component into
 * all of its children, so two resources under one component would each wait for the other, for ever.
 */
function ownUrn(name: string, type: string, parent: pulumi.Resource | undefined): string | Promise<string> {
  const root = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
  if (parent === undefined) return `${root}${type}::${name}`;
  return new Promise((resolve) => {
    parent.urn.apply((parentUrn) => {
      const prefix = `${parentUrn.substring(0, parentUrn.lastIndexOf("::"))}$`;
      resolve(`${prefix.endsWith("::pulumi:pulumi:Stack$") ? root : prefix}${type}::${name}`);
    });
  });
}
