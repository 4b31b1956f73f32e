// Runs the built `pulumi-enos` bin (dist/provider/import/cli.js) as a user would, without blocking the
// event loop (the simulator answering it lives in the test process).
import { execFile } from "node:child_process";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "../..");
const BIN = path.join(REPO, "dist", "provider", "import", "cli.js");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pulumi-enos <args>` with exactly `env` (plus PATH), in `cwd` (default the repository). */
export function runCli(args: readonly string[], env: Record<string, string>, cwd = REPO): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH ?? "", ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(new Error(`cannot run ${BIN}`, { cause: error }));
        else resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      },
    );
  });
}
