import type { QuotaConfig, QuotaStatus } from "../mesos/types/operator.js";
import { isRecord } from "./json-reader.js";
import { InvalidSnapshotError, withoutByteOrderMark } from "./snapshot.js";

const HOW_TO_TAKE =
  'take it with POST {"type":"GET_QUOTA"} to http://MASTER:5050/api/v1, or GET http://MASTER:5050/quota';

/**
 * The master's quota, for a `--snapshot` plan, as a file: the operator API's GET_QUOTA response, or the QuotaStatus
 * that `GET /quota` answers. An unusable file is exit 2, as an unusable snapshot is.
 */
export function parseQuotaStatus(text: string, name: string): QuotaStatus {
  let document: unknown;
  try {
    document = JSON.parse(withoutByteOrderMark(text));
  } catch (error) {
    throw new InvalidSnapshotError(
      `quota ${name} is not JSON (${error instanceof Error ? error.message : String(error)})`,
      HOW_TO_TAKE,
    );
  }
  const response = isRecord(document) ? document.get_quota : undefined;
  const status = isRecord(response) ? response.status : document;
  if (!isRecord(status) || !(status.configs === undefined || Array.isArray(status.configs)))
    throw new InvalidSnapshotError(`quota ${name} is not a GET_QUOTA response or a QuotaStatus`, HOW_TO_TAKE);
  const configs = (status.configs ?? []).map((config: unknown, index: number) => {
    const problem = configProblem(config);
    if (problem !== undefined)
      throw new InvalidSnapshotError(`quota ${name}: configs[${index}] ${problem}`, HOW_TO_TAKE);
    return config as QuotaConfig;
  });
  return { configs };
}

function configProblem(config: unknown): string | undefined {
  if (!isRecord(config) || typeof config.role !== "string") return "has no role";
  for (const kind of ["guarantees", "limits"] as const) {
    const map = config[kind];
    if (map === undefined) continue;
    if (!isRecord(map)) return `.${kind} is not a map of resource names to {"value": …}`;
    for (const [resource, scalar] of Object.entries(map))
      if (!isRecord(scalar) || typeof scalar.value !== "number" || !Number.isFinite(scalar.value))
        return `.${kind}.${resource} is not {"value": <number>}`;
  }
  return undefined;
}
