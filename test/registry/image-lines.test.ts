import { describe, expect, it } from "vitest";
import { imageLines } from "../../src/registry/apps.js";
import type { PinnedImage } from "../../src/registry/pin.js";

const RUNNING = `sha256:${"b".repeat(64)}`;
const TARGET = `sha256:${"a".repeat(64)}`;

const rolledBackTo: PinnedImage = {
  app: "web",
  written: `registry.example.com/web:1.0@${TARGET}`,
  pinned: `registry.example.com/web:1.0@${TARGET}`,
  digest: TARGET,
  platform: "linux/amd64",
};

describe("the images block of a plan", () => {
  it("shows how the image was written and the digest it resolved to", () => {
    expect(imageLines([{ ...rolledBackTo, written: "registry.example.com/web:1.0" }])).toEqual([
      "images:",
      `  web  registry.example.com/web:1.0 → ${TARGET} (linux/amd64)`,
      "",
    ]);
  });

  it("shows what runs on the left for an image it replaces (a rollback), not the target twice", () => {
    const replacing = new Map([["web", `registry.example.com/web:1.0@${RUNNING}`]]);
    expect(imageLines([rolledBackTo], replacing)[1]).toBe(
      `  web  sha256:bbbbbbbbbbbb… → ${TARGET} (linux/amd64)`,
    );
    expect(imageLines([rolledBackTo], new Map([["web", "command"]]))[1]).toBe(
      `  web  command → ${TARGET} (linux/amd64)`,
    );
  });
});
