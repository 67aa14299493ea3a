export { appDigest, shortDigest } from "./digest.js";
export { SnapshotFileSource } from "./file-source.js";
export { readTaskLabels, TitanLabel, taskLabels } from "./labels.js";
export { InvalidSnapshotError, parseSnapshot } from "./snapshot.js";
export type * from "./types.js";
