import { execFile } from "node:child_process";
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import type { PulledLayer } from "./container-puller.js";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

function tar(args: readonly string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("tar", args, { maxBuffer: 256 * 1024 * 1024, signal }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`tar ${args[0]} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** A member path inside the rootfs, or undefined for one that would leave it (`..`, absolute). */
function inside(root: string, member: string): string | undefined {
  const relative = normalize(member.replace(/^\.?\/+/, ""));
  if (relative === "." || relative.startsWith(`..${sep}`) || relative === "..") return undefined;
  return join(root, relative);
}

/** Empties a directory of what lower layers put there, keeping the directory itself. */
async function clearDirectory(dir: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await lstat(dir)).isDirectory()) return;
    entries = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(entries.map((entry) => rm(join(dir, entry), { recursive: true, force: true })));
}

/**
 * Applies one layer's whiteouts to what the lower layers unpacked (OCI image spec, "Whiteouts"): `.wh.<name>`
 * removes <name>, `.wh..wh..opq` empties its directory. Then the layer's other entries are extracted on top.
 */
async function applyLayer(rootfs: string, layer: PulledLayer, signal: AbortSignal): Promise<void> {
  const members = (await tar(["-tf", layer.path], signal)).split("\n").filter((m) => m !== "");
  for (const member of members) {
    const base = member.replace(/\/+$/, "").split("/").pop() ?? "";
    if (!base.startsWith(WHITEOUT)) continue;
    const target = inside(rootfs, member);
    if (target === undefined) continue;
    if (base === OPAQUE) await clearDirectory(dirname(target));
    else await rm(join(dirname(target), base.slice(WHITEOUT.length)), { recursive: true, force: true });
  }
  // GNU tar refuses members with `..` and strips leading `/`; --numeric-owner keeps the image's uids.
  await tar(
    [
      "-xf",
      layer.path,
      "-C",
      rootfs,
      "--numeric-owner",
      "--same-permissions",
      "--no-overwrite-dir",
      `--exclude=${WHITEOUT}*`,
    ],
    signal,
  );
}

/**
 * Unpacks layers bottom to top into a fresh rootfs, as the Mesos copy backend provisions one per container. A
 * failure removes the whole rootfs: nothing partly unpacked is ever reused.
 */
export async function unpackRootfs(
  rootfs: string,
  layers: readonly PulledLayer[],
  signal: AbortSignal,
): Promise<void> {
  await rm(rootfs, { recursive: true, force: true });
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  try {
    for (const layer of layers) await applyLayer(rootfs, layer, signal);
  } catch (error) {
    await rm(rootfs, { recursive: true, force: true });
    throw error;
  }
}
