import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localPaths } from "../../src/local/control.js";
import { localCredentialsFor } from "../../src/local/credentials.js";
import { runCli } from "../support/cli.js";
import { startTestCluster, type TestCluster } from "../support/local-cluster.js";
import { recordAsLocal } from "../support/local-record.js";
import { tempDir } from "../support/tmp.js";

const credentials = { principal: "titan", secret: "s3cret-for-tests" };

/** A running local cluster that requires its credentials, recorded as this user's, and a config of one's own. */
async function localCluster(): Promise<{
  cluster: TestCluster;
  env: Record<string, string>;
  stateDir: string;
}> {
  const cluster = await startTestCluster({ agents: 1, credentials });
  const stateDir = recordAsLocal(cluster, credentials);
  const dir = tempDir();
  return {
    cluster,
    stateDir,
    env: {
      TITAN_CONFIG: join(dir, "config.yaml"),
      XDG_DATA_HOME: join(dir, "data"),
      TITAN_STATE_DIR: stateDir,
    },
  };
}

describe("--master with the URL of the running local cluster", () => {
  it("uses the local cluster's credentials, from the local context or a configured one", async () => {
    const { cluster, env } = await localCluster();
    const direct = await runCli(["ps", "--json", "--master", cluster.url], { env });
    expect(direct.code, direct.stderr).toBe(0);
    const withContext = await runCli(["ps", "--json", "--context", "local", "--master", cluster.url], {
      env,
    });
    expect(withContext.code, withContext.stderr).toBe(0);

    expect((await runCli(["config", "set-cluster", "lab", "--master", cluster.url], { env })).code).toBe(0);
    expect((await runCli(["config", "set-context", "lab", "--cluster", "lab"], { env })).code).toBe(0);
    const configured = await runCli(["ps", "--json", "--context", "lab"], { env });
    expect(configured.code, configured.stderr).toBe(0);
  });

  it("says which URL to use when it is named as localhost", async () => {
    const { cluster, env } = await localCluster();
    const alias = cluster.url.replace("127.0.0.1", "localhost");
    const r = await runCli(["ps", "--master", alias], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${alias} names your local cluster by another address`);
    expect(r.stderr).toContain(`hint: use --master ${cluster.url}`);
  });

  it("never hands the credentials to a list that names another master too", async () => {
    const { cluster, stateDir } = await localCluster();
    const stateFile = localPaths(stateDir).stateFile;
    expect(localCredentialsFor(stateFile, [cluster.url])).toEqual(credentials);
    expect(localCredentialsFor(stateFile, [cluster.url, "http://10.0.0.9:5050"])).toBeUndefined();
  });
});

describe("the local context while the local cluster runs", () => {
  it("is listed with the cluster's actual URL by context list and config view", async () => {
    const { cluster, env } = await localCluster();
    const list = await runCli(["context", "list", "--json"], { env });
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { contexts: unknown[] }).contexts).toEqual([
      expect.objectContaining({ name: "local", masters: [cluster.url], running: true }),
    ]);
    expect((await runCli(["context", "list"], { env })).stdout).toContain(cluster.url);
    const view = await runCli(["config", "view"], { env });
    expect(view.stdout).toContain(`    masters: [${cluster.url}]\n`);
    expect(view.stdout).not.toContain("5050");
  });

  it("is marked not running when it is not", async () => {
    const dir = tempDir();
    const env = { TITAN_CONFIG: join(dir, "config.yaml"), TITAN_STATE_DIR: join(dir, "state") };
    const list = await runCli(["context", "list"], { env });
    expect(list.stdout).toMatch(/local \(built-in\) +local +- +http:\/\/127\.0\.0\.1:5050 \(not running\)/);
  });
});
