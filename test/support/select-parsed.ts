import type { Selection } from "../../src/mesos/json-select.js";

/**
 * What a JsonSelector should hand over, worked out on the parsed document: the same paths, in document order
 * (JSON.parse keeps the order of keys that are not array indices).
 */
export function selectParsed(
  value: unknown,
  select: (path: string) => Selection,
  emit: (path: string, value: unknown) => void,
  path = "",
): void {
  const selection = select(path);
  if (selection === "capture") emit(path, value);
  if (selection !== "descend") return;
  if (Array.isArray(value)) {
    for (const item of value) selectParsed(item, select, emit, `${path}[]`);
  } else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    for (const key in record) selectParsed(record[key], select, emit, path === "" ? key : `${path}.${key}`);
  }
}
