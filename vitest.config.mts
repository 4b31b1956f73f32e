import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Budgets, not assertions: the real-CLI and host tests spawn processes on 2 shared cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Host and simulator tests spawn processes and servers; two cores, so keep worker count modest.
    pool: "forks",
    maxWorkers: 2,
  },
});
