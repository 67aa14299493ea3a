import { PassThrough } from "node:stream";
import chalk, { Chalk } from "chalk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InstanceBoard, ttyView } from "../../src/deploy/progress.js";

/** A stream that says it is a terminal, with the cursor calls a spinner makes. */
function terminal(): { stream: PassThrough; text: () => string } {
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 100,
    rows: 30,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
  });
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { stream, text: () => text };
}

describe("the terminal progress view of a deploy over several regions", () => {
  it("prefixes each event line with its region", async () => {
    const { stream, text } = terminal();
    const view = await ttyView(stream, new Chalk({ level: 0 }));
    const launch = {
      type: "launch",
      app: "web",
      instance: 0,
      release: 2,
      host: "agent-1",
      ports: {},
    } as const;
    view.event({ ...launch, task: "web.2.0.1" }, "us-east");
    view.event({ ...launch, task: "web.2.0.2", host: "agent-7" }, "eu-west");
    view.event({ type: "healthy", app: "web", task: "web.2.0.1", instance: 0 }, "us-east");
    view.event({ type: "rollback", app: "web", from: 2, to: 1, reason: "unhealthy" }, "eu-west");
    view.stop();
    // Each event line starts with its region (the spinner, where enabled, redraws around them).
    expect(text()).toContain("us-east web[0] launching web.2.0.1 on agent-1\n");
    expect(text()).toContain("eu-west web[0] launching web.2.0.2 on agent-7\n");
    expect(text()).toContain("us-east web[0] web.2.0.1 healthy\n");
    expect(text()).toContain("eu-west web: release 2 failed (unhealthy); rolling back to release 1\n");
  });

  it("keeps one board entry per region and app", () => {
    const board = new InstanceBoard();
    board.apply({ type: "healthy", app: "web", task: "web.2.0.1", instance: 0 }, "us-east");
    board.apply(
      { type: "killing", app: "web", task: "web.1.0.1", instance: 0, reason: "replaced" },
      "eu-west",
    );
    expect(board.render()).toBe("us-east/web 0:healthy  eu-west/web 0:stopping");
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal colour sequences is the point
const SGR = /\u001b\[[\d;]*m/;

describe("the spinner's colour", () => {
  const level = chalk.level;
  afterEach(() => {
    chalk.level = level;
    vi.unstubAllEnvs();
  });

  it.each([
    [0, false],
    [1, true],
  ] as const)(
    "follows the colour it is given (level %i), not the spinner library's own guess",
    async (given, coloured) => {
      vi.stubEnv("CI", undefined);
      vi.stubEnv("TERM", "xterm");
      // The library's guess, made from stdout and the environment, says the opposite.
      chalk.level = given === 0 ? 1 : 0;
      const { stream, text } = terminal();
      const view = await ttyView(stream, new Chalk({ level: given }));
      view.event({ type: "healthy", app: "web", task: "web.2.0.1", instance: 0 });
      view.stop();
      expect(text()).toContain("web[0]");
      if (coloured) expect(text()).toMatch(SGR);
      else expect(text()).not.toMatch(SGR);
    },
  );
});
