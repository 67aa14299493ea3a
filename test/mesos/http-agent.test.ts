import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import { loadAgent } from "../../src/mesos/http-agent.js";

const built = pathToFileURL(join(import.meta.dirname, "..", "..", "dist", "mesos", "http-agent.js")).href;

describe("loadAgent", () => {
  it("is undici's own Agent, with the request API", async () => {
    const LoadedAgent = loadAgent();
    expect(LoadedAgent).toBe(Agent);
    const agent = new LoadedAgent();
    expect(typeof agent.request).toBe("function");
    await agent.close();
  });

  it("loads the agent's modules, not the whole library", () => {
    const script = `
      import { createRequire } from "node:module";
      const { loadAgent } = await import(${JSON.stringify(built)});
      const Agent = loadAgent();
      const agent = new Agent();
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({
        request: typeof agent.request,
        whole: loaded.some((path) => /undici[\\\\/]index\\.js$/.test(path)),
        fetch: loaded.some((path) => /undici[\\\\/]lib[\\\\/]web[\\\\/]fetch/.test(path)),
      }));
      await agent.close();
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ request: "function", whole: false, fetch: false });
  });
});
