import { spawnSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { withKnownSize } from "../../src/deploy/progress.js";

describe("the live progress view on a terminal of unknown size", () => {
  it("reads a size of 0 as unknown (80×24) and keeps everything else of the stream", () => {
    const stream = Object.assign(new PassThrough(), { columns: 0, rows: 0, isTTY: true });
    const seen = withKnownSize(stream) as PassThrough & { columns: number; rows: number; isTTY: boolean };
    expect([seen.columns, seen.rows, seen.isTTY]).toEqual([80, 24, true]);
    stream.columns = 132;
    expect(seen.columns).toBe(132);
    seen.write("x");
    expect(String(stream.read())).toBe("x");
  });

  it("draws 40 events on a rows 0 / columns 0 terminal with bounded output and ends", () => {
    const script = fileURLToPath(new URL("./zero-size-tty.mjs", import.meta.url));
    // A renderer that divides by 0 columns never returns; the kill bounds the test instead of hanging it.
    const child = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 15_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    const written = Number(child.stdout.trim());
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(100_000);
  }, 20_000);
});
