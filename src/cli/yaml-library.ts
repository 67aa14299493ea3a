import { createRequire } from "node:module";
import type { Scalar, YAMLMap, YAMLSeq } from "yaml";

let library: typeof import("yaml") | undefined;

/**
 * The YAML library, loaded on first use (about a tenth of a second): plain manifests are read by titan's own reader,
 * and a command run without a config file never needs it.
 */
export function yamlLibrary(): typeof import("yaml") {
  library ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return library;
}

/** The library's type guards, through the library loaded on first use. */
export function isMap(node: unknown): node is YAMLMap {
  return yamlLibrary().isMap(node);
}

export function isScalar(node: unknown): node is Scalar {
  return yamlLibrary().isScalar(node);
}

export function isSeq(node: unknown): node is YAMLSeq {
  return yamlLibrary().isSeq(node);
}
