import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "./ports.js";

/** Debian's `zookeeper` package (apt-get install zookeeper): its jars and their dependencies. */
const JAVA_DIR = "/usr/share/java";
const JARS = [
  "zookeeper.jar",
  "zookeeper-jute.jar",
  "slf4j-api.jar",
  "slf4j-simple.jar",
  "netty-handler.jar",
  "netty-transport.jar",
  "netty-common.jar",
  "netty-buffer.jar",
  "netty-codec.jar",
  "netty-resolver.jar",
  "netty-transport-native-epoll.jar",
  "netty-transport-native-unix-common.jar",
  "metrics-core.jar",
  "commons-io.jar",
  "commons-cli.jar",
  "snappy-java.jar",
];

export interface ZkServerHandle {
  id: number;
  port: number;
  running: boolean;
}

export interface ZkEnsemble {
  /** `127.0.0.1:p1,127.0.0.1:p2,…` for a zk:// URL. */
  hosts: string;
  servers: ZkServerHandle[];
  /** SIGKILLs one server, as a crash would. */
  kill(id: number): Promise<void>;
  /** Starts a killed server again and waits until it serves. */
  restart(id: number): Promise<void>;
  /** The id of the server that leads the quorum (a standalone server is its own leader). */
  leader(): Promise<number>;
  /** Kills every server and removes the data directories. */
  stop(): Promise<void>;
  /** The paths each session watches, over every running server (4lw `wchc`), keyed by session id in hex. */
  watches(): Promise<Map<string, string[]>>;
}

const started = new Set<ChildProcess>();
const roots = new Set<string>();
// A test process that ends without stopping its ensemble (a failed hook, a crash) still leaves nothing behind.
process.once("exit", () => {
  for (const child of started) child.kill("SIGKILL");
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Asks a server a four-letter word (srvr) and returns its answer, or undefined when it does not answer. */
export function fourLetterWord(port: number, word = "srvr"): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on("connect", () => socket.write(word));
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text === "" ? undefined : text);
    });
  });
}

async function serving(port: number, deadline: number): Promise<string> {
  for (;;) {
    const answer = await fourLetterWord(port);
    const mode = /Mode: (\w+)/.exec(answer ?? "")?.[1];
    if (mode === "standalone" || mode === "leader" || mode === "follower") return mode;
    if (Date.now() > deadline) throw new Error(`ZooKeeper on port ${port} did not start serving in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Starts `size` ZooKeeper servers (1: standalone; 3: an ensemble) on free loopback ports, each a foreground
 * JVM with its own generated zoo.cfg and temp dataDir. Sessions may be 0.4–30 s (tickTime 200 ms).
 */
export async function startZooKeeper(size = 1): Promise<ZkEnsemble> {
  if (!existsSync(join(JAVA_DIR, "zookeeper.jar")))
    throw new Error("ZooKeeper is not installed: apt-get install -y zookeeper");
  const root = mkdtempSync(join(tmpdir(), "titan-zk-"));
  roots.add(root);
  const range = await freePortRange(size * 3);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const portOf = (id: number, kind: 0 | 1 | 2): number => range.begin + (id - 1) * 3 + kind;
  const servers: ZkServerHandle[] = ids.map((id) => ({ id, port: portOf(id, 0), running: false }));
  const children = new Map<number, ChildProcess>();
  const classpath = JARS.map((jar) => join(JAVA_DIR, jar)).join(":");

  const launch = (id: number): void => {
    const dir = join(root, `server-${id}`);
    mkdirSync(join(dir, "data"), { recursive: true });
    const lines = [
      "tickTime=200",
      "initLimit=25",
      "syncLimit=10",
      `dataDir=${join(dir, "data")}`,
      `clientPort=${portOf(id, 0)}`,
      "clientPortAddress=127.0.0.1",
      "maxSessionTimeout=30000",
      "admin.enableServer=false",
      "4lw.commands.whitelist=srvr,ruok,wchc",
      "autopurge.purgeInterval=0",
      ...(size > 1
        ? ids.map((peer) => `server.${peer}=127.0.0.1:${portOf(peer, 1)}:${portOf(peer, 2)}`)
        : []),
    ];
    writeFileSync(join(dir, "zoo.cfg"), `${lines.join("\n")}\n`);
    if (size > 1) writeFileSync(join(dir, "data", "myid"), `${id}\n`);
    const child = spawn(
      "java",
      [
        "-Xmx96m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Dzookeeper.jmx.log4j.disable=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        classpath,
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        join(dir, "zoo.cfg"),
      ],
      { cwd: dir, stdio: "ignore" },
    );
    started.add(child);
    child.once("exit", () => started.delete(child));
    children.set(id, child);
    (servers[id - 1] as ZkServerHandle).running = true;
  };

  const kill = async (id: number): Promise<void> => {
    const child = children.get(id);
    children.delete(id);
    (servers[id - 1] as ZkServerHandle).running = false;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  };

  const stop = async (): Promise<void> => {
    await Promise.all(ids.map(kill));
    rmSync(root, { recursive: true, force: true });
    roots.delete(root);
  };

  try {
    for (const id of ids) launch(id);
    const deadline = Date.now() + 60_000;
    await Promise.all(ids.map((id) => serving(portOf(id, 0), deadline)));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    hosts: servers.map((s) => `127.0.0.1:${s.port}`).join(","),
    servers,
    kill,
    async restart(id) {
      launch(id);
      await serving(portOf(id, 0), Date.now() + 60_000);
    },
    async leader() {
      for (const server of servers.filter((s) => s.running)) {
        const mode = /Mode: (\w+)/.exec((await fourLetterWord(server.port)) ?? "")?.[1];
        if (mode === "leader" || mode === "standalone") return server.id;
      }
      throw new Error("no ZooKeeper server leads");
    },
    stop,
    async watches() {
      const bySession = new Map<string, string[]>();
      for (const server of servers.filter((s) => s.running)) {
        let session: string | undefined;
        for (const line of ((await fourLetterWord(server.port, "wchc")) ?? "").split("\n")) {
          if (/^0x[0-9a-f]+$/.test(line.trim())) session = line.trim().slice(2);
          else if (session !== undefined && line.trim().startsWith("/"))
            bySession.set(session, [...(bySession.get(session) ?? []), line.trim()]);
        }
      }
      return bySession;
    },
  };
}
