import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Host and simulator tests spawn processes and servers; two cores, so keep worker count modest.
    pool: "forks",
    maxWorkers: 2,
  },
});
