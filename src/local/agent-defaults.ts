import { existsSync, statfsSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { dirname } from "node:path";
import type { AgentResources } from "./agent/api.js";

/** What a host has, as an agent probes it for the resources its `--resources` leaves out. */
export interface HostProbe {
  cpus(): number;
  memoryBytes(): number;
  /** The size of the filesystem that holds `dir` (or its nearest existing parent). */
  diskBytes(dir: string): number;
}

export const hostProbe: HostProbe = {
  cpus: () => availableParallelism(),
  memoryBytes: () => totalmem(),
  diskBytes(dir) {
    let existing = dir;
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
    const fs = statfsSync(existing);
    return fs.bsize * fs.blocks;
  },
};

/** Mesos' DEFAULT_PORTS (src/slave/constants.cpp). */
export const DEFAULT_AGENT_PORTS = { begin: 31000, end: 32000 };

const MB = 1024 * 1024;
const GB = 1024 * MB;

/**
 * The resources an agent has when its `--resources` leaves some out, as src/slave/containerizer/containerizer.cpp
 * `Containerizer::resources` decides: the host's cpus; its memory less 1 GB (half of it below 2 GB); the work
 * directory's filesystem less 5 GB (half of it below 10 GB); ports 31000-32000. Any `disk` entry, a MOUNT or PATH
 * disk too, counts as disk given.
 */
export function withAgentDefaults(
  resources: AgentResources,
  given: ReadonlySet<string>,
  workDir: string,
  probe: HostProbe = hostProbe,
): AgentResources {
  const out: AgentResources = { ...resources };
  if (!given.has("cpus")) out.cpus = probe.cpus();
  if (!given.has("mem")) {
    const total = probe.memoryBytes();
    out.mem = Math.trunc((total >= 2 * GB ? total - GB : total / 2) / MB);
  }
  if (!given.has("disk")) {
    const total = probe.diskBytes(workDir);
    out.disk = Math.trunc((total >= 10 * GB ? total - 5 * GB : total / 2) / MB);
  }
  if (!given.has("ports")) out.ports = [{ ...DEFAULT_AGENT_PORTS }];
  return out;
}
