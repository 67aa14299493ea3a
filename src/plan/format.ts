import type { NearMiss, Scalars } from "../placement/types.js";

/** MB as Mesos counts them, in the largest binary unit that keeps it readable: `512 MiB`, `1.5 GiB`. */
export function formatMem(mb: number): string {
  if (mb >= 1024) return `${trim(mb / 1024)} GiB`;
  return `${trim(mb)} MiB`;
}

export function formatCpus(cpus: number): string {
  return `${trim(cpus)} cpu${cpus === 1 ? "" : "s"}`;
}

function trim(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** `0.5 cpus, 512 MiB` (disk and gpus only when asked for). */
export function formatDemand(s: Scalars): string {
  const parts = [formatCpus(s.cpus), formatMem(s.mem)];
  if (s.disk > 0) parts.push(`${formatMem(s.disk)} disk`);
  if (s.gpus > 0) parts.push(`${s.gpus} gpu${s.gpus === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/** `needs 256 MiB mem, 0.5 cpus more` for a near miss. */
export function formatMissing(missing: NearMiss["missing"]): string {
  const parts: string[] = [];
  if (missing.cpus) parts.push(`${trim(missing.cpus)} cpus`);
  if (missing.mem) parts.push(`${formatMem(missing.mem)} mem`);
  if (missing.disk) parts.push(`${formatMem(missing.disk)} disk`);
  if (missing.gpus) parts.push(`${missing.gpus} gpus`);
  if (missing.ports) parts.push(`${missing.ports} port${missing.ports === 1 ? "" : "s"}`);
  return parts.length > 0 ? `needs ${parts.join(", ")} more` : "blocked by a constraint";
}

export function percent(used: number, total: number): string {
  return total === 0 ? "0%" : `${Math.round((used / total) * 100)}%`;
}

/** `0, 2-4, 7` for instance indexes. */
export function formatInstances(app: string, instances: readonly number[]): string {
  const sorted = [...instances].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return `${app}[${parts.join(",")}]`;
}
