import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function listen(answer: (body: string) => unknown): Promise<number> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const json = JSON.stringify(answer(body));
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(json);
    });
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

const AGENTS = 40;

describe("titan top on many agents", () => {
  it("asks them concurrently, every instance measured, without node's warning of too many abort listeners", async () => {
    const ports = await Promise.all(
      Array.from({ length: AGENTS }, (_, a) => {
        let calls = 0;
        return listen(() => {
          calls += 1;
          return {
            type: "GET_CONTAINERS",
            get_containers: {
              containers: [
                {
                  framework_id: { value: "f" },
                  executor_id: { value: `web.1.${a}.1` },
                  container_id: { value: `c${a}` },
                  resource_statistics: {
                    timestamp: Date.now() / 1000,
                    cpus_user_time_secs: calls,
                    cpus_soft_limit: 0.2,
                    mem_rss_bytes: 1024 * 1024,
                    mem_limit_bytes: 96 * 1024 * 1024,
                  },
                },
              ],
            },
          };
        });
      }),
    );
    const state = {
      type: "GET_STATE",
      get_state: {
        get_agents: {
          agents: ports.map((port, a) => ({
            agent_info: { hostname: `agent-${a}.example`, id: { value: `a${a}` } },
            active: true,
            pid: `slave(1)@127.0.0.1:${port}`,
          })),
        },
        get_tasks: {
          tasks: ports.map((_, a) => ({
            name: "web",
            task_id: { value: `web.1.${a}.1` },
            framework_id: { value: "f" },
            agent_id: { value: `a${a}` },
            state: "TASK_RUNNING",
            resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }],
            labels: { labels: taskLabels({ app: "web", instance: a, release: 1, digest: "sha256:0" }) },
          })),
        },
        get_frameworks: {
          frameworks: [{ framework_info: { id: { value: "f" }, name: "titan:web", user: "u" } }],
        },
      },
    };
    const master = await listen(() => state);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const dir = tempDir();
      const env = { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") };
      const result = await runCli(
        ["top", "--master", `http://127.0.0.1:${master}`, "--json", "--interval", "200ms"],
        {
          env,
        },
      );
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const app = JSON.parse(result.stdout).sections[0].apps[0];
      expect(app.measured).toBe(AGENTS);
      for (const instance of app.instances) expect(instance.cpus).toBeGreaterThan(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  }, 30_000);
});
