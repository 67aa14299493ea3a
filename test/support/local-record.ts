import { mkdirSync, writeFileSync } from "node:fs";
import { localPaths } from "../../src/local/control.js";
import type { LocalClusterRecord } from "../../src/local/runner.js";
import type { TestCluster } from "./local-cluster.js";
import { tempDir } from "./tmp.js";

/**
 * A state directory whose record names `cluster` as this user's local cluster (run by this test process), so that
 * `titan local agents` and the built-in `local` context reach it with TITAN_STATE_DIR set to the returned path.
 */
export function recordAsLocal(cluster: TestCluster): string {
  const stateDir = tempDir("titan-state-");
  const paths = localPaths(stateDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  const record: LocalClusterRecord = {
    pid: process.pid,
    url: cluster.url,
    port: cluster.cluster.port,
    agents: cluster.agentIds().length,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(paths.stateFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return stateDir;
}
