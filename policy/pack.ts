/**
 * The policy pack's program: `pulumi preview --policy-pack node_modules/pulumi-enos/policy` runs this file (through
 * policy/package.json's `main`). Constructing the PolicyPack starts the analyzer the engine talks to.
 */
import { PolicyPack } from "@pulumi/policy";
import { enosPolicies } from "./index.js";

new PolicyPack("pulumi-enos", {
  description: "Guard rails for stacks that adopt EnOS pipelines and flows with pulumi-enos.",
  policies: enosPolicies,
});
