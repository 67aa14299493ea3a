import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createIO } from "../../src/cli/io.js";
import { inquirerPrompter } from "../../src/cli/prompter.js";
import { confirm } from "../../src/release/apply.js";
import { testEnv } from "../support/env.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal colour sequences is the point
const SGR = /\u001b\[[\d;]*m/;

/** Answers one confirmation with "y" and returns what the prompt drew on stderr. */
async function drawnConfirmation(options: { errIsTTY: boolean; noColorFlag: boolean }): Promise<string> {
  const stdin = new PassThrough();
  const err = Object.assign(new PassThrough(), { isTTY: options.errIsTTY });
  let drawn = "";
  err.on("data", (chunk: Buffer) => {
    drawn += chunk.toString("utf8");
  });
  const io = createIO({ stdin, out: new PassThrough(), err, env: {}, noColorFlag: options.noColorFlag });
  const answer = inquirerPrompter(io).confirm("Scale hello as planned above?", false);
  setTimeout(() => stdin.write("y\n"), 20);
  await expect(answer).resolves.toBe(true);
  return drawn;
}

describe("the confirmation prompt's colour", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  // First: the library computes parts of its default theme when first imported.
  it("follows stderr, where it draws, not stdout", async () => {
    vi.stubEnv("FORCE_COLOR", undefined);
    vi.stubEnv("NO_COLOR", undefined);
    const drawn = await drawnConfirmation({ errIsTTY: true, noColorFlag: false });
    expect(drawn).toMatch(SGR);
  });

  it("draws no colour with --no-color, even where the process environment forces it", async () => {
    vi.stubEnv("FORCE_COLOR", "1");
    const drawn = await drawnConfirmation({ errIsTTY: true, noColorFlag: true });
    expect(drawn).toContain("Scale hello as planned above?");
    expect(drawn).not.toMatch(SGR);
  });
});

/** A prompt of `kind` on a terminal's stderr, and its input, to which the test types. */
function askOnTerminal(kind: "confirm" | "input" | "select"): {
  stdin: PassThrough;
  asked: Promise<unknown>;
} {
  const stdin = new PassThrough();
  const err = Object.assign(new PassThrough(), { isTTY: true });
  err.resume();
  const io = createIO({ stdin, out: new PassThrough(), err, env: {}, noColorFlag: true });
  const prompter = inquirerPrompter(io);
  const asked =
    kind === "confirm"
      ? prompter.confirm("Stop hello?", false)
      : kind === "input"
        ? prompter.input("App name")
        : prompter.select("Pick one", [{ value: "a" }, { value: "b" }]);
  return { stdin, asked };
}

describe("Ctrl-C at a prompt", () => {
  it.each(["confirm", "input", "select"] as const)(
    "interrupts the command (%s): exit 130, not an internal error",
    async (kind) => {
      const { stdin, asked } = askOnTerminal(kind);
      setTimeout(() => stdin.write("\u0003"), 20);
      await expect(asked).rejects.toMatchObject({ exitCode: 130, message: "interrupted" });
    },
  );
});

describe("Ctrl-D (end of input) at a prompt", () => {
  // A closed input is no answer, neither yes nor no: the command stops as Ctrl-C stops it. Left unsettled, the
  // prompt let the process run out of work and exit 0 without a word.
  it.each(["confirm", "input", "select"] as const)(
    "interrupts the command (%s): exit 130, as Ctrl-C does",
    async (kind) => {
      const { stdin, asked } = askOnTerminal(kind);
      setTimeout(() => stdin.write("\u0004"), 20);
      await expect(asked).rejects.toMatchObject({ exitCode: 130, message: "interrupted" });
    },
    3000,
  );

  it("still takes an answer typed before it", async () => {
    const { stdin, asked } = askOnTerminal("confirm");
    setTimeout(() => stdin.write("y\n\u0004"), 20);
    await expect(asked).resolves.toBe(true);
  });
});

describe("a confirmation that cannot be asked", () => {
  it.each([
    ["without a terminal", { tty: false, vars: {} }, "there is no terminal to ask on"],
    [
      "with CI set on a terminal",
      { tty: true, vars: { CI: "1" } },
      "CI is set, and titan never prompts in CI",
    ],
  ])("refuses %s, saying why", async (_, options, why) => {
    const { env } = testEnv(options);
    await expect(confirm(env, { yes: false, verb: "stop" }, ["hello"])).rejects.toMatchObject({
      exitCode: 2,
      message: `refusing to stop without confirmation: ${why}`,
      hint: "review the plan above and re-run with --yes",
    });
  });

  it("asks on a terminal when CI is not set (or is false)", async () => {
    const { env, prompter } = testEnv({
      tty: true,
      vars: { CI: "false" },
      answers: [{ match: "Stop hello", answer: true }],
    });
    expect(env.io.whyNoPrompt).toBeUndefined();
    await expect(confirm(env, { yes: false, verb: "stop" }, ["hello"])).resolves.toBe(true);
    expect(prompter.asked).toHaveLength(1);
  });
});

describe("a signal at a prompt", () => {
  it.each(["confirm", "input", "select"] as const)(
    "interrupts the command (%s) on the first SIGTERM or SIGHUP: exit 130",
    async (kind) => {
      const stdin = new PassThrough();
      const err = Object.assign(new PassThrough(), { isTTY: true });
      err.resume();
      const io = createIO({ stdin, out: new PassThrough(), err, env: {}, noColorFlag: true });
      const controller = new AbortController();
      const prompter = inquirerPrompter(io, controller.signal);
      const asked =
        kind === "confirm"
          ? prompter.confirm("Deploy hello as planned above?", false)
          : kind === "input"
            ? prompter.input("App name")
            : prompter.select("Pick one", [{ value: "a" }, { value: "b" }]);
      setTimeout(() => controller.abort("SIGTERM"), 20);
      await expect(asked).rejects.toMatchObject({ exitCode: 130, message: "interrupted" });
    },
  );
});
