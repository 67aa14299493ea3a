/**
 * titan's placement engine: pure and deterministic (same input and seed, same result), no I/O. See
 * docs/placement.md for the semantics of constraints, balance, scoring, explanations and the scale advice.
 */
export { hasGpus } from "./cluster.js";
export { place } from "./engine.js";
export { adviseScaleIn, type ScaleInOptions } from "./scale-in.js";
export { adviseScaleOut } from "./scale-out.js";
export { PlacementSession } from "./session.js";
export { formatShape, parseShape, shapesOf } from "./shapes.js";
export type * from "./types.js";
