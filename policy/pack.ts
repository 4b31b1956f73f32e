/**
 * The policy pack's program: `pulumi preview --policy-pack node_modules/pulumi-enos/policy` runs this file (through
 * policy/package.json's `main`). Constructing the PolicyPack starts the analyzer the engine talks to.
 *
 * `@pulumi/policy` is an optional peer dependency of pulumi-enos: only projects that run the pack install it, so
 * the projects that do not never get the policy library (nor the second @pulumi/pulumi it brings to an older SDK).
 */
import type * as Policy from "@pulumi/policy";
import { enosPolicies } from "./index.js";

/** The policy library, or an error that says the one command that installs it. */
function policyLibrary(): typeof Policy {
  /* eslint-disable @typescript-eslint/no-require-imports, preserve-caught-error */
  try {
    return require("@pulumi/policy") as typeof Policy;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code !== "MODULE_NOT_FOUND" || typeof message !== "string" || !message.includes("'@pulumi/policy'"))
      throw error;
    throw new Error(
      "the pulumi-enos policy pack needs @pulumi/policy, which pulumi-enos does not install for you: " +
        "run `npm install --save-dev @pulumi/policy` in your Pulumi project, then run the preview again",
    );
  }
  /* eslint-enable @typescript-eslint/no-require-imports, preserve-caught-error */
}

new (policyLibrary().PolicyPack)("pulumi-enos", {
  description: "Guard rails for stacks that adopt EnOS pipelines and flows with pulumi-enos.",
  policies: enosPolicies,
});
