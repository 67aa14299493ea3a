import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { home } from "../deploy/harness.js";
import { startTestCluster, type TestCluster } from "../support/local-cluster.js";

export const REGIONS = ["us-east", "eu-west", "ap-south"] as const;
export type Region = (typeof REGIONS)[number];

export interface Regions {
  h: ReturnType<typeof home>;
  clusters: Record<Region, TestCluster>;
}

/**
 * Three local clusters on free ports, mapped as three regions in a fresh user config: the clusters are stopped
 * after the test by test/support/local-cluster.ts, pass or fail.
 */
export async function threeRegions(): Promise<Regions> {
  const h = home();
  const started = await Promise.all(
    REGIONS.map(() =>
      startTestCluster({ agents: 2, zones: ["a", "b"], master: { allocationIntervalMs: 50 } }),
    ),
  );
  const clusters = Object.fromEntries(REGIONS.map((r, i) => [r, started[i]])) as Record<Region, TestCluster>;
  const config = [
    "clusters:",
    ...REGIONS.map((r) => `  ${r}-cluster: { masters: [${clusters[r].url}] }`),
    "regions:",
    ...REGIONS.map((r) => `  ${r}: ${r}-cluster`),
    "contexts:",
    `  prod: { regions: [${REGIONS.join(", ")}] }`,
    "current_context: prod",
    "",
  ].join("\n");
  const dir = join(h.vars.XDG_CONFIG_HOME ?? "", "titan");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.yaml"), config, { mode: 0o600 });
  return { h, clusters };
}

export interface RegionalApp {
  version: string;
  /** A YAML flow mapping of region → count or override. */
  regions?: string;
  waves?: string;
  soak?: string;
  onFailure?: string;
  /** A YAML flow mapping for `disruption`. */
  disruption?: string;
}

/** An HTTP service that answers 500 on every path when BROKEN=1 (a region override breaks one region). */
export function writeRegionalApp(dir: string, app: RegionalApp): string {
  const server =
    "require('http').createServer((q,s)=>{s.statusCode=process.env.BROKEN==='1'?500:200;s.end(process.env.VERSION)}).listen(process.env.PORT_HTTP,()=>console.log('serving '+process.env.VERSION))";
  const yaml = `name: web
shell: "exec node -e \\"${server}\\""
ports: [http]
regions: ${app.regions ?? "{ us-east: 1, eu-west: 1, ap-south: 1 }"}
rollout:
  waves: ${app.waves ?? "[[us-east], [eu-west, ap-south]]"}
  soak: ${app.soak ?? "0s"}
  on_failure: ${app.onFailure ?? "abort"}
resources: { cpus: 0.1, mem: 32Mi }
env:
  VERSION: "${app.version}"
health:
  http: { port: http, path: / }
  interval: 200ms
  timeout: 150ms
  grace: 1s
  failures: 2
update:
  max_surge: 1
  max_unavailable: 0
  min_healthy_time: 200ms
  healthy_deadline: 3s
  progress_deadline: 4s
restart: { backoff: 100ms, factor: 2, max_delay: 1s }
kill_grace: 500ms
${app.disruption === undefined ? "" : `disruption: ${app.disruption}\n`}`;
  const file = join(dir, "web.yaml");
  writeFileSync(file, yaml);
  return file;
}
