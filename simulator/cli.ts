#!/usr/bin/env node
/**
 * enos-sim [--port N] [--host 127.0.0.1] [--seed file.json] [--latency MS] [--token-ttl S]
 *
 * Prints `enos-sim listening on http://<host>:<port>` once ready; exits cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseSeed } from "./seed.js";
import { startSimulator } from "./server.js";

const USAGE = `usage: enos-sim [--port N] [--host 127.0.0.1] [--seed file.json] [--latency MS] [--token-ttl SECONDS]

  --port       TCP port (default 0: pick a free one)
  --host       interface to listen on (default 127.0.0.1; the admin API only serves loopback peers)
  --seed       JSON seed file (orgs, apps, users, pipelines, flows); default: the built-in demo seed
  --latency    milliseconds added to every EnOS call (default 0)
  --token-ttl  access-token lifetime in seconds (default 7200)

Default seed: access key demo-access-key, secret key demo-secret-key, org o-demo, user u-demo,
pipelines demo-pipeline-1..3, flows 3377 and 3378.

Admin API (unsigned, loopback peers only) under http://<host>:<port>/__sim/: state, pipelines, flows,
users, quotas, config, request log and counts, and fault injection, e.g.
  curl -X POST http://127.0.0.1:<port>/__sim/faults -d '{"rules": [{"kind": "latency", "latencyMs": 200}]}'
(one bare rule is accepted too). Every endpoint and fault kind: simulator/README.md in the pulumi-enos
package (node_modules/pulumi-enos/simulator/README.md).
`;

function fatal(message: string): never {
  process.stderr.write(`enos-sim: ${message}\n`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) fatal(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        seed: { type: "string" },
        latency: { type: "string" },
        "token-ttl": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    fatal(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  let seed;
  if (values.seed !== undefined) {
    try {
      seed = parseSeed(JSON.parse(readFileSync(values.seed, "utf8")));
    } catch (err) {
      fatal(`cannot use seed ${values.seed}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const tokenTtlSeconds = integer("token-ttl", values["token-ttl"], 7200);
  if (tokenTtlSeconds === 0) fatal("--token-ttl must be positive");
  const sim = await startSimulator({
    port: integer("port", values.port, 0),
    host: values.host ?? "127.0.0.1",
    ...(seed === undefined ? {} : { seed }),
    latencyMs: integer("latency", values.latency, 0),
    tokenTtlSeconds,
  });
  process.stdout.write(`enos-sim listening on ${sim.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  fatal(err instanceof Error ? err.message : String(err));
});
