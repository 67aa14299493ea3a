import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createIO } from "../../src/cli/io.js";
import { inquirerPrompter } from "../../src/cli/prompter.js";

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
