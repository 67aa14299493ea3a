/**
 * Entry point of the background local cluster that `titan local up` starts: `node daemon.js '<ClusterConfig JSON>'`.
 * Output goes to the log file the parent opened; SIGTERM or SIGINT stops every task and the cluster cleanly.
 */
import { type ClusterConfig, runCluster } from "./runner.js";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => controller.abort());

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

// Nothing a framework sends may take every task down: an error that escaped is logged (by kind only, since a
// message could quote a task's environment) and the cluster keeps running.
const logEscaped = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  log(
    `internal error (${error instanceof Error ? error.name : typeof error}${typeof code === "string" ? ` ${code}` : ""}); still running`,
  );
};
process.on("unhandledRejection", logEscaped);
process.on("uncaughtException", logEscaped);

try {
  const config = JSON.parse(process.argv[2] ?? "") as ClusterConfig;
  await runCluster(config, controller.signal, (cluster) => {
    log(`titan local cluster: master ${cluster.url}, ${cluster.agents().length} agents, pid ${process.pid}`);
  });
  log("titan local cluster stopped");
} catch (error) {
  log(`titan local cluster failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
