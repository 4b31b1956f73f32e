// The benchmark's EnOS: the simulator in a process of its own, as EnOS is remote. In the bench's process its
// timers would wait behind the harness's own work (marshalling hundreds of RPCs, writing the state file after
// every step), and that delay would be charged to the provider.
//
// Usage: node sim-process.js '{"delays":{...},"latencyMs":20}'. Prints `listening <url>`; exits on SIGTERM,
// SIGINT, or when its stdin closes (so it never outlives the bench).
import { startSimulator, type Delays } from "../simulator/index.js";

interface Settings {
  readonly delays: Delays;
  readonly latencyMs: number;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
  const sim = await startSimulator({
    port: 0,
    host: "127.0.0.1",
    delays: settings.delays,
    latencyMs: settings.latencyMs,
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop).on("error", stop).resume();
  process.stdout.write(`listening ${sim.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
