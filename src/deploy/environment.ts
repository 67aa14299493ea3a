import { resolveSecretRef } from "../config/secret-ref.js";
import type { AppSpec } from "../manifest/types.js";

/**
 * The app's env for its tasks, secrets read now. The result goes into TaskInfos only: never into events, output,
 * logs or the state store (which keeps the references).
 */
export async function resolveEnvironment(
  spec: AppSpec,
  vars: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string>> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) {
    environment[name] =
      value.kind === "plain"
        ? value.value
        : await resolveSecretRef({ source: value.source, ref: value.ref, raw: value.raw }, vars, {
            lineBreaks: true,
          });
  }
  return environment;
}
