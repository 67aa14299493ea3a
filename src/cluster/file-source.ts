import { isAbsolute, resolve } from "node:path";
import { readCapped, TooLargeError } from "../cli/capped-read.js";
import { parseQuotaStatus } from "./quota-file.js";
import { InvalidSnapshotError, parseSnapshot } from "./snapshot.js";
import type { ClusterSnapshot, ClusterStateSource, SnapshotOptions } from "./types.js";

/**
 * The most of a snapshot (or quota) file titan reads: four times what it takes of a live GET_STATE, and well inside
 * the longest string node makes (a file past it failed as an internal error, "Invalid string length").
 */
export const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

/** A cluster snapshot in a file, in either real Mesos format, and the master's quota in another when given. */
export class SnapshotFileSource implements ClusterStateSource {
  constructor(
    private readonly file: string,
    private readonly cwd: string,
    private readonly options: SnapshotOptions,
    /** `--quota`: a GET_QUOTA response (or GET /quota's QuotaStatus) to check the plan against. */
    private readonly quotaFile?: string,
  ) {}

  describe(): string {
    return `snapshot ${this.file}`;
  }

  async read(signal: AbortSignal): Promise<ClusterSnapshot> {
    const text = await this.readText(this.file, "snapshot", "--snapshot", signal);
    if (this.quotaFile === undefined) return parseSnapshot(text, this.file, this.options);
    const quota = parseQuotaStatus(
      await this.readText(this.quotaFile, "quota", "--quota", signal),
      this.quotaFile,
    );
    return parseSnapshot(text, this.file, { ...this.options, quota });
  }

  private async readText(file: string, what: string, flag: string, signal: AbortSignal): Promise<string> {
    const path = isAbsolute(file) ? file : resolve(this.cwd, file);
    try {
      // Read with the cap whatever the file's size says: a device or a FIFO says 0 and may never end.
      return (await readCapped(path, MAX_SNAPSHOT_BYTES, signal)).toString("utf8");
    } catch (error) {
      if (error instanceof TooLargeError)
        throw new InvalidSnapshotError(
          `${what} ${file} is larger than ${MAX_SNAPSHOT_BYTES >> 20} MiB, the most titan reads`,
          `pass the ${what}'s JSON file to ${flag}`,
        );
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT")
        throw new InvalidSnapshotError(`${what} ${file} does not exist`, `check the path given to ${flag}`);
      if (code === "EISDIR")
        throw new InvalidSnapshotError(`${what} ${file} is a directory`, `pass the ${what}'s JSON file`);
      if (code === "EACCES")
        throw new InvalidSnapshotError(`${what} ${file} is not readable`, "check the file's permissions");
      throw error;
    }
  }
}
