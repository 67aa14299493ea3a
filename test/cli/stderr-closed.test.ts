import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { titanProcess } from "../support/cli-process.js";
import { scriptedServer } from "../support/scripted-server.js";
import { tempDir } from "../support/tmp.js";

describe("a reader of stderr that goes away", () => {
  // `titan logs api 2>&1 | head -1`: the first note or warning meets a closed pipe. That must stop the command
  // as a closed stdout does (130, nothing said), not crash it with an uncaught EPIPE (exit 1).
  it("stops the command quietly with exit 130, as a closed stdout does", async () => {
    const master = await scriptedServer((_request, response) => {
      response.writeHead(503, { "Content-Type": "text/plain" });
      response.end("No leader elected");
    });
    const dir = tempDir();
    const titan = titanProcess(["ps", "--watch", "--interval", "100ms", "--master", master.url], {
      cwd: dir,
      vars: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
    });
    titan.child.stderr?.destroy();
    expect(await titan.exit).toBe(130);
    expect(titan.stdout()).toBe("");
  });
});
