import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { InvalidSnapshotError, parseSnapshot } from "./snapshot.js";
import type { ClusterSnapshot, ClusterStateSource, SnapshotOptions } from "./types.js";

/** A cluster snapshot in a file, in either real Mesos format. */
export class SnapshotFileSource implements ClusterStateSource {
  constructor(
    private readonly file: string,
    private readonly cwd: string,
    private readonly options: SnapshotOptions,
  ) {}

  describe(): string {
    return `snapshot ${this.file}`;
  }

  async read(signal: AbortSignal): Promise<ClusterSnapshot> {
    const text = await this.readText(signal);
    return parseSnapshot(text, this.file, this.options);
  }

  private async readText(signal: AbortSignal): Promise<string> {
    const path = isAbsolute(this.file) ? this.file : resolve(this.cwd, this.file);
    try {
      return await readFile(path, { encoding: "utf8", signal });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        throw new InvalidSnapshotError(
          `snapshot ${this.file} does not exist`,
          "check the path given to --snapshot",
        );
      }
      if (code === "EISDIR") {
        throw new InvalidSnapshotError(
          `snapshot ${this.file} is a directory`,
          "pass the snapshot's JSON file",
        );
      }
      if (code === "EACCES") {
        throw new InvalidSnapshotError(
          `snapshot ${this.file} is not readable`,
          "check the file's permissions",
        );
      }
      throw error;
    }
  }
}
