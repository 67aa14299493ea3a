import { type ChildProcess, fork } from "node:child_process";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseZkUrl } from "../src/state/zk-url.js";
import type { LeaderTerm } from "../src/supervisor/leadership.js";
import { LEADERSHIP_SESSION_TIMEOUT_MS, ZkLeadership } from "../src/supervisor/zk-leadership.js";
import { startTcpProxy } from "../test/support/tcp-proxy.js";
import { startZooKeeper, type ZkEnsemble } from "../test/support/zookeeper.js";

/**
 * Supervisor high availability: how long an app goes without a leader when its leader dies, is cut off from
 * ZooKeeper, or shuts down, with two contenders on a 3-node ensemble and the default leadership session.
 */

const KILL_RUNS = 10;
const PARTITION_RUNS = 5;
const RESIGN_RUNS = 10;
const never = new AbortController().signal;

function contender(url: string, user: string): ZkLeadership {
  return new ZkLeadership(parseZkUrl(url), {
    identity: { user, host: "bench", pid: process.pid, startedAt: Date.now() },
  });
}

/** A leader in a process of its own, so it can be killed outright. */
function leaderProcess(url: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--lead", url], { stdio: "inherit" });
    child.once("message", () => resolve(child));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the leader exited ${code}`)));
  });
}

/** Leader killed with SIGKILL → the waiting contender holds the lead. */
async function killed(zk: ZkEnsemble, run: number): Promise<number> {
  const url = `zk://${zk.hosts}/bench-kill-${run}`;
  const child = await leaderProcess(url);
  const waiter = contender(url, "waiter");
  try {
    const pending = waiter.acquire("web", never);
    await until(async () => (await waiter.leader("web"))?.user === "leader");
    await new Promise((resolve) => setTimeout(resolve, 200)); // the waiter has queued behind it
    const start = performance.now();
    child.kill("SIGKILL");
    await pending;
    return performance.now() - start;
  } finally {
    child.kill("SIGKILL");
    await waiter.close();
  }
}

/** Leader cut off by a partition → its term ends, then the other contender leads. */
async function partitioned(zk: ZkEnsemble, run: number): Promise<{ stopped: number; replaced: number }> {
  const url = (hosts: string): string => `zk://${hosts}/bench-partition-${run}`;
  const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
  const leader = contender(url(`127.0.0.1:${proxy.port}`), "leader");
  const waiter = contender(url(zk.hosts), "waiter");
  try {
    const term = await leader.acquire("web", never);
    const pending = waiter.acquire("web", never);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const start = performance.now();
    const lost = lostAt(term);
    proxy.cut();
    const [stoppedAt, replaced] = await Promise.all([lost, pending.then(() => performance.now())]);
    if (stoppedAt >= replaced) throw new Error("the old leader stopped after the new one started");
    return { stopped: stoppedAt - start, replaced: replaced - start };
  } finally {
    await Promise.all([leader.close(), waiter.close()]);
    await proxy.close();
  }
}

/** Leader resigns (shutdown) → the waiting contender holds the lead. */
async function resigned(zk: ZkEnsemble, run: number): Promise<number> {
  const url = `zk://${zk.hosts}/bench-resign-${run}`;
  const leader = contender(url, "leader");
  const waiter = contender(url, "waiter");
  try {
    const term = await leader.acquire("web", never);
    const pending = waiter.acquire("web", never);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const start = performance.now();
    await term.resign();
    await pending;
    return performance.now() - start;
  } finally {
    await Promise.all([leader.close(), waiter.close()]);
  }
}

function lostAt(term: LeaderTerm): Promise<number> {
  return new Promise((resolve) =>
    term.lost.addEventListener("abort", () => resolve(performance.now()), { once: true }),
  );
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

function summary(values: number[]): { median: string; worst: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return { median: s(sorted[Math.floor(sorted.length / 2)] ?? 0), worst: s(sorted.at(-1) ?? 0) };
}

export async function run(): Promise<{ title: string; markdown: string }> {
  const zk = await startZooKeeper(3);
  try {
    const kills: number[] = [];
    for (let i = 0; i < KILL_RUNS; i++) kills.push(await killed(zk, i));
    const stops: number[] = [];
    const replacements: number[] = [];
    for (let i = 0; i < PARTITION_RUNS; i++) {
      const { stopped, replaced } = await partitioned(zk, i);
      stops.push(stopped);
      replacements.push(replaced);
    }
    const resigns: number[] = [];
    for (let i = 0; i < RESIGN_RUNS; i++) resigns.push(await resigned(zk, i));
    const row = (what: string, runs: number, values: number[]): string => {
      const { median, worst } = summary(values);
      return `| ${what} | ${runs} | ${median} | ${worst} |`;
    };
    const timeout = `${LEADERSHIP_SESSION_TIMEOUT_MS / 1000} s`;
    return {
      title: "Supervisor HA: leader failover through ZooKeeper",
      markdown: [
        `Two contenders for one app on a 3-node ZooKeeper ensemble (Debian's zookeeper 3.8 on loopback, tickTime 200 ms), each with the default leadership session (${timeout} timeout). The clock starts when the leader is killed, cut off or resigns, and stops when the other contender's \`acquire\` resolves (or the old leader's \`lost\` aborts). A killed leader runs in a process of its own (SIGKILL); a cut-off leader reaches ZooKeeper through a TCP proxy that drops its connections and refuses new ones.`,
        "",
        `Machine: ${cpus()[0]?.model.trim() ?? "unknown"}, ${cpus().length} cores, Node ${process.version}.`,
        "",
        "| event | runs | median | worst |",
        "|---|---|---|---|",
        row("leader killed → other leads", KILL_RUNS, kills),
        row("leader cut off → old leader stops", PARTITION_RUNS, stops),
        row("leader cut off → other leads", PARTITION_RUNS, replacements),
        row("leader resigns → other leads", RESIGN_RUNS, resigns),
        "",
        `A killed or cut-off leader's node goes only when ZooKeeper expires its session, so failover takes about the session timeout; the cut-off leader stops at half of it, and in every run before the other contender started. A leader that shuts down deletes its node and is replaced at once.`,
      ].join("\n"),
    };
  } finally {
    await zk.stop();
  }
}

if (process.argv[2] === "--lead" && process.send !== undefined) {
  const leadership = contender(process.argv[3] ?? "", "leader");
  await leadership.acquire("web", never);
  process.send("leading");
  setInterval(() => undefined, 1000);
}
