import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processStartOf } from "../../src/local/cluster-identity.js";
import { localPaths } from "../../src/local/control.js";
import type { HttpCredentials } from "../../src/local/http-guard.js";
import type { LocalClusterRecord } from "../../src/local/runner.js";
import type { TestCluster } from "./local-cluster.js";
import { tempDir } from "./tmp.js";

/**
 * A state directory whose record names `cluster` as this user's local cluster (run by this test process), so that
 * `titan local agents` and the built-in `local` context reach it with TITAN_STATE_DIR set to the returned path;
 * with `credentials`, the record names them as `titan local up` does.
 */
export function recordAsLocal(cluster: TestCluster, credentials?: HttpCredentials): string {
  const stateDir = tempDir("titan-state-");
  const paths = localPaths(stateDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  const processStart = processStartOf(process.pid);
  const record: LocalClusterRecord = {
    pid: process.pid,
    url: cluster.url,
    port: cluster.cluster.port,
    agents: cluster.agentIds().length,
    startedAt: new Date().toISOString(),
    ...(processStart === undefined ? {} : { processStart }),
    instance: cluster.cluster.instance,
  };
  if (credentials !== undefined) {
    // As `titan local up` keeps them: the state file names the secret file, never the secret.
    const secretFile = join(paths.dir, "secret");
    writeFileSync(secretFile, `${credentials.secret}\n`, { mode: 0o600 });
    record.auth = { principal: credentials.principal, secretFile };
  }
  writeFileSync(paths.stateFile, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return stateDir;
}
