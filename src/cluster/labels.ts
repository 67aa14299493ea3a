import { isRecord } from "./json-reader.js";

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

const NO_LABELS: readonly MesosLabel[] = Object.freeze([]);

/**
 * A task's label list as it is in a parsed document, when every label has a text key and value (Mesos's own form);
 * none when absent; undefined for anything else, which the readers through `Node` accept or report.
 */
export function labelList(list: unknown): readonly MesosLabel[] | undefined {
  if (list === undefined || list === null) return NO_LABELS;
  if (!Array.isArray(list)) return undefined;
  for (const label of list) {
    if (!isRecord(label) || typeof label.key !== "string" || typeof label.value !== "string")
      return undefined;
  }
  return list as MesosLabel[];
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
  // One pass over the labels, as this runs for every titan task of a cluster. Backwards, so that the first label
  // of a key is the one that counts.
  let app: string | undefined;
  let instanceText: string | undefined;
  let digest: string | undefined;
  let release: string | undefined;
  let region: string | undefined;
  for (let i = labels.length - 1; i >= 0; i -= 1) {
    const { key, value } = labels[i] as MesosLabel;
    if (key === TitanLabel.app) app = value;
    else if (key === TitanLabel.instance) instanceText = value;
    else if (key === TitanLabel.digest) digest = value;
    else if (key === TitanLabel.release) release = value;
    else if (key === TitanLabel.region) region = value;
  }
  if (app === undefined) return { kind: "foreign" };
  if (instanceText === undefined || !/^\d+$/.test(instanceText)) {
    return {
      kind: "malformed",
      app,
      problem: `${TitanLabel.instance} is ${JSON.stringify(instanceText ?? null)}`,
    };
  }
  if (digest === undefined || digest === "") {
    return { kind: "malformed", app, problem: `${TitanLabel.digest} is missing` };
  }
  const identity: TaskIdentity = { app, instance: Number(instanceText), digest };
  if (release !== undefined && /^\d+$/.test(release)) identity.release = Number(release);
  if (region !== undefined && region !== "") identity.region = region;
  return { kind: "titan", identity };
}
