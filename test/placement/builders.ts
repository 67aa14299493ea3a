import type {
  Agent,
  Constraint,
  PlacementStrategy,
  RunningTask,
  Scalars,
  TaskRequest,
} from "../../src/placement/types.js";

export function agent(
  id: string,
  free: Partial<Scalars> = {},
  attributes: Record<string, string> = {},
  options: { total?: Partial<Scalars>; ports?: Array<[number, number]>; hostname?: string } = {},
): Agent {
  const f: Scalars = { cpus: 8, mem: 32768, disk: 100_000, gpus: 0, ...free };
  return {
    id,
    hostname: options.hostname ?? `${id}.example`,
    attributes,
    total: { ...f, ...options.total },
    free: f,
    freePorts: (options.ports ?? [[31000, 31099]]).map(([begin, end]) => ({ begin, end })),
  };
}

export function requests(
  app: string,
  count: number,
  demand: Partial<Scalars> = {},
  options: { constraints?: Constraint[]; ports?: string[]; strategy?: PlacementStrategy; from?: number } = {},
): TaskRequest[] {
  return Array.from({ length: count }, (_, k) => ({
    app,
    instance: (options.from ?? 0) + k,
    demand: { cpus: 1, mem: 1024, disk: 0, gpus: 0, ...demand },
    ports: options.ports ?? [],
    constraints: options.constraints ?? [],
    strategy: options.strategy ?? "binpack",
  }));
}

export function runningTask(
  app: string,
  agentId: string,
  instance = 0,
  demand: Partial<Scalars> = {},
): RunningTask {
  return {
    app,
    agentId,
    instance,
    demand: { cpus: 1, mem: 1024, disk: 0, gpus: 0, ...demand },
    portCount: 0,
  };
}
