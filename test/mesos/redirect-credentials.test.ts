import { afterEach, describe, expect, it } from "vitest";
import { frameworkInfo } from "../../src/mesos/calls.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { MasterOperator } from "../../src/mesos/operator.js";
import { SchedulerSession } from "../../src/mesos/session.js";
import { startTestCluster } from "../support/local-cluster.js";
import { scriptedServer } from "../support/scripted-server.js";

const CREDENTIALS = { principal: "ops", secret: "hunter2" };
const closers: Array<{ close(): void | Promise<void> }> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

/** A follower that answers every request 307 with `location` (a leader's advertised name), as Mesos does. */
async function follower(location: string) {
  return scriptedServer((request, response) => {
    response.writeHead(307, { Location: `${location}${request.path}` });
    response.end();
  });
}

function cluster(masters: string[], trace: string[]): MasterCluster {
  const c = MasterCluster.fromConfig(
    { masters, auth: CREDENTIALS },
    { trace: (line) => trace.push(line), probeDeadlineMs: 2000 },
  );
  closers.push(c);
  return c;
}

describe("credentials and the leader's advertised name (local cluster with --auth)", () => {
  it("sends them to the leader a configured master named, and says so without the secret", async () => {
    const local = await startTestCluster({ agents: 1, credentials: CREDENTIALS });
    // The leader advertises itself as localhost, a name that is in no config.
    const leader = local.url.replace("127.0.0.1", "localhost");
    const configured = await follower(`//${new URL(leader).host}`);
    const trace: string[] = [];
    const c = cluster([configured.url], trace);
    const state = await new MasterOperator(c).getState();
    expect(state.get_agents?.agents).toHaveLength(1);
    expect(configured.requests[0]?.headers.authorization).toMatch(/^Basic /);
    const said = trace.find((l) => l.startsWith("credentials:"));
    expect(said).toBe(
      `credentials: principal ops (secret redacted) also goes to ${leader}, the leader ${configured.url} named`,
    );
    expect(trace.join("\n")).not.toContain("hunter2");
  });

  it("never sends them to a host only an unconfigured host named, and never subscribes there", async () => {
    const local = await startTestCluster({ agents: 1, credentials: CREDENTIALS });
    const leader = local.url.replace("127.0.0.1", "localhost");
    const stranger = await follower(`//${new URL(leader).host}`);
    const configured = await follower(`//localhost:${stranger.port}`);
    const trace: string[] = [];
    const c = cluster([configured.url], trace);
    // localhost:<stranger> was named by a configured master, so it is trusted; the leader it names is not.
    await expect(new MasterOperator(c).getState()).rejects.toThrow(/401|Unauthorized|credentials/i);
    expect(trace).toContain(
      `credentials: not sent to ${leader}: only http://localhost:${stranger.port}, which is not a configured master, named it`,
    );

    const session = new SchedulerSession({
      cluster: c,
      framework: frameworkInfo({
        name: "t",
        user: "nobody",
        roles: ["*"],
        failoverTimeoutSeconds: 60,
        checkpoint: true,
      }),
    });
    closers.push(session);
    const events = session.events()[Symbol.asyncIterator]();
    const first = (await events.next()).value as { type: string; reason?: string };
    expect(first.type).toBe("RECONNECTING");
    expect(first.reason).toContain(
      `http://localhost:${stranger.port} redirected to ${leader}, which no configured master named; not sending the call there`,
    );
    expect(stranger.requests.some((r) => r.path === "/api/v1/scheduler")).toBe(true);
    const direct = await new MasterOperator(cluster([local.url], [])).getState();
    expect(direct.get_frameworks?.frameworks ?? []).toHaveLength(0);
  });

  it("refuses to follow a redirect from https to http", async () => {
    const c = MasterCluster.fromConfig({ masters: ["https://127.0.0.1:1"], auth: CREDENTIALS });
    closers.push(c);
    const { resolveLocation } = await import("../../src/mesos/leader.js");
    expect(() => resolveLocation("http://leader:5050/api/v1", new URL("https://m1:5050/api/v1"))).toThrow(
      /refusing to downgrade/,
    );
  });
});
