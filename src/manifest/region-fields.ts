/** The manifest's multi-region fields: per-region counts with small overrides, and the rollout over regions. */
import type { Constraint } from "../placement/types.js";
import {
  byKind,
  dict,
  integer,
  list,
  type ObjectType,
  object,
  oneOfValues,
  optional,
  required,
  type Shape,
  string,
  type Type,
  transform,
  withDefault,
} from "./kit.js";
import { MAX_INSTANCES } from "./limits.js";
import type { EnvValue, FailurePolicy } from "./types.js";

export const REGION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A region as written: its count, and what it changes for its instances only. */
export interface RegionFields {
  instances: number;
  env?: Record<string, EnvValue> | undefined;
  resources?: Partial<Record<"cpus" | "mem" | "disk" | "gpus", number>> | undefined;
  constraints?: Constraint[] | undefined;
}

/** The types a region entry reuses from the app's own fields (passed in, so this module imports none of them). */
export interface RegionFieldTypes {
  envValue: Type<EnvValue>;
  constraint: Type<Constraint>;
  resources: ObjectType<Shape>;
  duration: Type<number>;
}

const instanceCount = () => integer({ min: 0, max: MAX_INSTANCES });

/** `us-east: 4`, or `eu-west: { instances: 2, env: {...}, resources: {...}, constraints: [...] }`. */
export function regionsType(types: RegionFieldTypes): Type<Record<string, RegionFields>> {
  // Overridden resources name only what changes; the rest comes from the app's `resources`.
  const resources = object(
    Object.fromEntries(
      Object.entries(types.resources.shape).map(([key, prop]) => [key, optional(prop.type, prop.doc)]),
    ),
  );
  const entry = byKind<RegionFields>("an instance count or a mapping with `instances`", {
    scalar: transform(instanceCount(), (instances): RegionFields => ({ instances })),
    map: transform(
      object({
        instances: required(instanceCount(), "Instances in this region."),
        env: optional(
          dict({ pattern: ENV_NAME, describe: "a valid environment variable name" }, types.envValue),
          "Variables set or replaced in this region only (merged over the app's `env`).",
        ),
        resources: optional(
          resources,
          "Resources changed in this region only (the fields given replace the app's).",
        ),
        constraints: optional(
          list(types.constraint),
          "Placement rules for this region, replacing the app's `constraints` there.",
        ),
      }),
      (v): RegionFields => ({
        instances: v.instances,
        ...(v.env === undefined ? {} : { env: v.env }),
        ...(v.resources === undefined
          ? {}
          : { resources: v.resources as Partial<Record<"cpus" | "mem" | "disk" | "gpus", number>> }),
        ...(v.constraints === undefined ? {} : { constraints: v.constraints }),
      }),
    ),
  });
  return dict({ pattern: REGION_NAME, describe: "a valid region name" }, entry);
}

const regionName = () =>
  string({
    pattern: REGION_NAME,
    describe: "a region name",
    hint: "region names are lowercase letters, digits and '-', e.g. us-east",
  });

export function rolloutType(types: Pick<RegionFieldTypes, "duration">) {
  return object({
    waves: optional(
      list(list(regionName(), { minItems: 1 }), { minItems: 1 }),
      "Regions in the order they are deployed: a list of waves, each a list of regions deployed in parallel. Default: one region per wave, in the order `regions` names them.",
    ),
    soak: withDefault(types.duration, "0s", "How long a wave runs healthy before the next wave starts."),
    on_failure: withDefault(
      oneOfValues<FailurePolicy>(["abort", "rollback_all", "continue"]),
      "abort",
      "When a region fails: abort (start no further wave), rollback_all (also roll back the regions already deployed), continue (deploy the remaining waves).",
    ),
  });
}
