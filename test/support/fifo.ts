import { execFileSync } from "node:child_process";
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { onTestFinished } from "vitest";

/** A FIFO (named pipe) in `dir`. */
export function fifo(dir: string, name = "pipe"): string {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  return path;
}

/**
 * Writes `bytes` into the FIFO and keeps it open for writing until the test ends, so its reader never sees an end:
 * a file whose size says 0 and that does not stop. Opened read-write, which on Linux waits for no reader.
 */
export function endlessFifo(path: string, bytes: number): void {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const writer = new Socket({ fd, readable: false, writable: true });
  writer.on("error", () => {});
  writer.write(Buffer.alloc(bytes, "#"));
  onTestFinished(() => {
    writer.destroy();
  });
}
