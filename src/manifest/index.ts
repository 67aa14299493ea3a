/** The titan.yaml manifest: parse, validate and normalise. Everything else in titan reads apps through here. */

export { portVariable } from "./checks.js";
export { manifestJsonSchema } from "./json-schema.js";
export { DEFAULT_MANIFEST, type LoadOptions, loadManifests } from "./load.js";
export { type ManifestSource, parseManifests } from "./parse.js";
export { selectApps } from "./select.js";
export type * from "./types.js";
export { resolveAmount } from "./types.js";
export { formatDuration, formatSize, parseDuration, parseSize } from "./units.js";
