// Artificial CPU load: busy loops in child processes, so a figure that must not depend on load (how many EnOS
// calls a refresh costs) can be measured with the machine busy as well as idle, in the same run.
import { spawn, type ChildProcess } from "node:child_process";

/** Busy loops run beside the measured work (2 = one per core on the reference machine). */
export const LOAD_WORKERS = 2;

function busyLoop(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      resolve();
    }),
  );
  child.kill("SIGKILL");
  await exited;
}

/** Runs `work` while `workers` busy loops compete for the CPUs; the loops are always killed afterwards. */
export async function underLoad<T>(work: () => Promise<T>, workers = LOAD_WORKERS): Promise<T> {
  const loops = Array.from({ length: workers }, busyLoop);
  try {
    return await work();
  } finally {
    await Promise.all(loops.map(stop));
  }
}
