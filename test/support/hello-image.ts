import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { detectImageSupport } from "../../src/local/agent/container-runc.js";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "..", "..", "examples", "hello-image", "build.sh");

/**
 * Why image tasks cannot run on this machine (no runc, not root, no image tools), or undefined. On CI (CI=true)
 * a missing part is a failure, never a silent skip: the CI machine installs them all through .ci/run.
 */
export function containerTestProblem(): string | undefined {
  const support = detectImageSupport(process.env.PATH, process.getuid?.());
  let problem = support.missing;
  for (const tool of ["/usr/bin/docker-registry", "/usr/bin/umoci", "/usr/bin/skopeo", "/bin/busybox"])
    if (problem === undefined && !existsSync(tool)) problem = `${tool} is missing`;
  if (problem !== undefined && process.env.CI !== undefined && process.env.CI !== "")
    throw new Error(
      `container tests cannot run on CI: ${problem} (.ci/run installs runc and the image tools)`,
    );
  return problem;
}

/** Builds examples/hello-image with its own script and pushes it; returns the reference and the digest. */
export async function pushHelloImage(
  registryHost: string,
  tag = "1.0",
): Promise<{ image: string; digest: string }> {
  const { stdout } = await run(SCRIPT, [registryHost, tag], { timeout: 60_000 });
  const [image = "", digest = ""] = stdout.trim().split("\n").pop()?.split(" ") ?? [];
  return { image, digest };
}
