import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // Vitest's default (one core less than the machine has) runs the suite in one process on two cores; most of
    // its time is spent waiting on local clusters and timers, and every test takes its own ports and directories,
    // so files run side by side on every core.
    maxWorkers: Math.max(2, availableParallelism()),
    setupFiles: ["test/support/unhandled.ts"],
  },
});
