/** The labels titan puts on every task it launches; `plan`, `deploy` and `ps` recognise titan's tasks by them. */
export const TitanLabel = {
  app: "titan.app",
  release: "titan.release",
  instance: "titan.instance",
  region: "titan.region",
  digest: "titan.digest",
} as const;

export interface MesosLabel {
  key: string;
  value?: string;
}

export interface TaskIdentity {
  app: string;
  instance: number;
  digest: string;
  release?: number;
  region?: string;
}

/** The labels for one task, in the order Mesos will show them. */
export function taskLabels(identity: TaskIdentity): Array<{ key: string; value: string }> {
  const labels: Array<{ key: string; value: string }> = [
    { key: TitanLabel.app, value: identity.app },
    { key: TitanLabel.instance, value: String(identity.instance) },
    { key: TitanLabel.digest, value: identity.digest },
  ];
  if (identity.release !== undefined)
    labels.push({ key: TitanLabel.release, value: String(identity.release) });
  if (identity.region !== undefined) labels.push({ key: TitanLabel.region, value: identity.region });
  return labels;
}

/** Whether a task carries titan's app label (cheap: no other label is looked at). */
export function hasTitanLabel(labels: readonly MesosLabel[]): boolean {
  return labels.some((l) => l.key === TitanLabel.app);
}

export type LabelReading =
  | { kind: "foreign" }
  | { kind: "titan"; identity: TaskIdentity }
  | { kind: "malformed"; app: string; problem: string };

/** Reads titan's identity from a task's labels: foreign when it has no `titan.app`, malformed when the rest is unusable. */
export function readTaskLabels(labels: readonly MesosLabel[]): LabelReading {
  const get = (key: string): string | undefined => labels.find((l) => l.key === key)?.value;
  const app = get(TitanLabel.app);
  if (app === undefined) return { kind: "foreign" };
  const instanceText = get(TitanLabel.instance);
  if (instanceText === undefined || !/^\d+$/.test(instanceText)) {
    return {
      kind: "malformed",
      app,
      problem: `${TitanLabel.instance} is ${JSON.stringify(instanceText ?? null)}`,
    };
  }
  const digest = get(TitanLabel.digest);
  if (digest === undefined || digest === "") {
    return { kind: "malformed", app, problem: `${TitanLabel.digest} is missing` };
  }
  const identity: TaskIdentity = { app, instance: Number(instanceText), digest };
  const release = get(TitanLabel.release);
  if (release !== undefined && /^\d+$/.test(release)) identity.release = Number(release);
  const region = get(TitanLabel.region);
  if (region !== undefined && region !== "") identity.region = region;
  return { kind: "titan", identity };
}
