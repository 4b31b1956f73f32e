"use strict";
// Child-process entry of the harness's program runner (test/host/program.ts).
//
// Runs one Pulumi program the way the Node language host loads a JavaScript program — plain `require` of the
// program file in a fresh Node process whose cwd is the project directory, stack config in PULUMI_CONFIG — but
// with `pulumi.runtime.setMocks` in place of the engine's resource monitor. Every resource registration is
// recorded with its inputs exactly as the engine would receive them (including `__provider`, the serialised
// dynamic provider). Never run this inside a vitest worker: vitest rewrites imports and changes what closure
// serialisation captures (docs/PULUMI-DYNAMIC-PROVIDERS.md, pitfall 9).
//
// Usage: node run-program.js <request.json>
//   request: { program, project, stack, config, secretKeys, preview, outFile }
//   outFile receives: { ok: true, resources: [...] } or { ok: false, error }.
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function main() {
  const request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const write = (result) => fs.writeFileSync(request.outFile, JSON.stringify(result));

  // The SDK reads config and run options from the environment when its state store is first created,
  // so set them before anything loads @pulumi/pulumi (the language host sets the same variables).
  process.env.PULUMI_CONFIG = JSON.stringify(request.config || {});
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(request.secretKeys || []);
  process.env.PULUMI_NODEJS_PROJECT = request.project;
  process.env.PULUMI_NODEJS_STACK = request.stack;
  process.env.PULUMI_NODEJS_DRY_RUN = request.preview ? "true" : "false";

  // Resolve the SDK from the project directory, as the program itself will.
  const projectRequire = createRequire(path.join(process.cwd(), "package.json"));
  const pulumi = projectRequire("@pulumi/pulumi");
  const rpc = projectRequire("@pulumi/pulumi/runtime/rpc");
  const settings = projectRequire("@pulumi/pulumi/runtime/settings");
  const output = projectRequire("@pulumi/pulumi/output");

  const resources = [];

  // Converts SDK-deserialised inputs back to what the engine sends a provider that does not accept secrets:
  // secrets unwrapped (their paths recorded), unknowns as the engine's placeholder string.
  function toWire(value, at, secretPaths) {
    if (output.isUnknown(value)) {
      return UNKNOWN;
    }
    if (rpc.isRpcSecret(value)) {
      secretPaths.push(at);
      return toWire(rpc.unwrapRpcSecret(value), at, secretPaths);
    }
    if (Array.isArray(value)) {
      return value.map((v, i) => toWire(v, `${at}[${i}]`, secretPaths));
    }
    if (value !== null && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        if (v !== undefined) out[k] = toWire(v, at ? `${at}.${k}` : k, secretPaths);
      }
      return out;
    }
    return value;
  }

  // Registrations are recorded from the RegisterResource request the SDK sends to the (mock) monitor: that is
  // the engine's view, with the parent-aware URN, the explicit dependencies and resource options.
  function record(monitor, req) {
    const secretPaths = [];
    const inputs = toWire(rpc.deserializeProperties(req.getObject()), "", secretPaths);
    resources.push({
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      dependencies: req.getDependenciesList(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      inputs,
      secretPaths,
      providerBytes: typeof inputs.__provider === "string" ? Buffer.byteLength(inputs.__provider, "utf8") : 0,
    });
  }

  const mocks = {
    newResource(args) {
      // The program sees its own inputs as the resource's outputs (mock); cross-resource output references
      // therefore resolve to inputs, not to provider outputs. In preview the id stays unknown, as in the engine.
      return { id: request.preview ? undefined : `${args.name}-id`, state: args.inputs };
    },
    call(args) {
      throw new Error(`harness: invoke ${args.token} is not supported by the program runner`);
    },
  };

  const run = async () => {
    await pulumi.runtime.setMocks(mocks, request.project, request.stack, request.preview);
    const monitor = settings.getMonitor();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      record(monitor, req);
      return registerResource(req, callback);
    };
    const loaded = require(path.resolve(request.program));
    const entry =
      typeof loaded === "function"
        ? loaded
        : loaded && typeof loaded.default === "function"
          ? loaded.default
          : undefined;
    if (entry) {
      await entry();
    }
    // Every registration (including the async serialisation of __provider) holds an RPC keep-alive.
    await settings.waitForRPCs();
  };

  const fail = (err) => {
    write({ ok: false, error: err && err.stack ? String(err.stack) : String(err) });
    process.exit(1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  run().then(() => {
    write({ ok: true, resources });
    process.exit(0);
  }, fail);
}

main();
