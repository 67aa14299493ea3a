import { Chalk } from "chalk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { describeSource } from "../../src/commands/logs/reader.js";
import type { LogSource } from "../../src/commands/logs/sources.js";
import { LineSplitter, lastLinesStart } from "../../src/observe/line-splitter.js";
import { formatLine, linePrefix } from "../../src/observe/log-format.js";
import { parseLogTarget, selectLogTasks } from "../../src/observe/log-selection.js";
import { runCli } from "../support/cli.js";

/** Splits `bytes` at the given cut points and feeds the pieces to a fresh splitter. */
function splitInPieces(bytes: Buffer, cuts: number[]): string[] {
  const splitter = new LineSplitter();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const lines: string[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    lines.push(...splitter.push(bytes.subarray(from, point)));
    from = point;
  }
  const rest = splitter.flush();
  if (rest !== undefined) lines.push(rest);
  return lines;
}

describe("LineSplitter", () => {
  it("gives the same lines however the bytes are chunked (no split, no duplicate, multi-byte intact)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (lines, cuts) => {
          const clean = lines.map((l) => l.replace(/[\r\n]/g, ""));
          const bytes = Buffer.from(clean.map((l) => `${l}\n`).join(""), "utf8");
          expect(splitInPieces(bytes, cuts)).toEqual(clean);
        },
      ),
    );
  });

  it("holds a partial line until its newline, strips CR, and turns invalid UTF-8 into U+FFFD", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from("hel"))).toEqual([]);
    expect(splitter.holding).toBe(3);
    expect(splitter.push(Buffer.from("lo\r\nwor"))).toEqual(["hello"]);
    expect(splitter.push(Buffer.from([0xff, 0xfe, 0x0a]))).toEqual(["wor\uFFFD\uFFFD"]);
    expect(splitter.flush()).toBeUndefined();
    splitter.push(Buffer.from("half"));
    splitter.reset();
    expect(splitter.flush()).toBeUndefined();
    const euro = Buffer.from("€\n", "utf8");
    expect([...splitter.push(euro.subarray(0, 1)), ...splitter.push(euro.subarray(1))]).toEqual(["€"]);
  });
});

describe("LineSplitter with a longest line", () => {
  it("cuts a longer line into pieces of at most that many bytes, each a line, keeping characters whole", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, cuts) => {
          const line = text.replace(/[\r\n]/g, "");
          const bytes = Buffer.from(`${line}\n`, "utf8");
          const splitter = new LineSplitter(8);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const pieces: string[] = [];
          let from = 0;
          for (const point of [...points, bytes.length]) {
            pieces.push(...splitter.push(bytes.subarray(from, point)));
            expect(splitter.holding).toBeLessThanOrEqual(8);
            from = point;
          }
          expect(pieces.join("")).toBe(line);
          for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(8);
          expect(pieces.some((piece) => piece.includes("\uFFFD"))).toBe(false);
        },
      ),
    );
  });

  it("keeps what it holds bounded for output that never ends its line (a \\r progress bar)", () => {
    const splitter = new LineSplitter(16);
    const lines: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      lines.push(...splitter.push(Buffer.from(`\r${String(i).padStart(3, "0")}%`)));
      expect(splitter.holding).toBeLessThanOrEqual(16);
    }
    expect(lines.length).toBeGreaterThan(200);
    expect(lines[0]).toBe("\r000%\r001%\r002%\r");
  });

  it("prints lines up to 1 MiB whole by default", () => {
    const splitter = new LineSplitter();
    const line = "x".repeat(1024 * 1024);
    expect(splitter.push(Buffer.from(`${line}\n${line}y\n`))).toEqual([line, line, "y"]);
  });
});

describe("lastLinesStart", () => {
  const text = Buffer.from("one\ntwo\nthree\n");
  it.each([
    { desc: "last line", n: 1, atStart: false, want: "three\n" },
    { desc: "two lines", n: 2, atStart: false, want: "two\nthree\n" },
    { desc: "whole file when it starts at the file start", n: 3, atStart: true, want: "one\ntwo\nthree\n" },
    { desc: "more than there are, at the file start", n: 9, atStart: true, want: "one\ntwo\nthree\n" },
    { desc: "zero lines", n: 0, atStart: true, want: "" },
  ])("$desc", ({ n, atStart, want }) => {
    const at = lastLinesStart(text, n, atStart);
    expect(at).toBeDefined();
    expect(text.subarray(at).toString()).toBe(want);
  });

  it("asks for more bytes when the window may begin inside a line", () => {
    expect(lastLinesStart(text, 3, false)).toBeUndefined();
    expect(lastLinesStart(Buffer.from("tail-of-a-line"), 1, false)).toBeUndefined();
  });

  it("counts a final line without newline", () => {
    const partial = Buffer.from("a\nb\nno newline");
    expect(partial.subarray(lastLinesStart(partial, 2, false)).toString()).toBe("b\nno newline");
  });

  it("matches a whole-file split for any file and any n", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z]{0,5}$/), { maxLength: 10 }), fc.nat(12), (lines, n) => {
        const file = Buffer.from(lines.map((l) => `${l}\n`).join(""));
        const at = lastLinesStart(file, n, true) ?? -1;
        const want = n === 0 ? [] : lines.slice(-n);
        expect(splitInPieces(file.subarray(at), [])).toEqual(want);
      }),
    );
  });
});

describe("log targets and selection", () => {
  it.each([
    { text: "api", want: { app: "api" } },
    { text: "api/2", want: { app: "api", instance: 2 } },
  ])("parses $text", ({ text, want }) => {
    expect(parseLogTarget(text)).toEqual(want);
  });

  it.each(["", "API", "api/", "api/x", "api/1/2", "../etc"])("refuses %j", (text) => {
    expect(typeof parseLogTarget(text)).toBe("string");
  });

  const task = (over: Partial<TitanTask>): TitanTask => ({
    app: "api",
    instance: 0,
    taskId: "t",
    frameworkId: "f",
    framework: "titan:api",
    digest: "sha256:0",
    demand: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
    agentId: "a",
    state: "TASK_RUNNING",
    health: "none",
    hostname: "h",
    ports: [],
    ...over,
  });
  const now = 1_000_000;
  const tasks = [
    task({ taskId: "run0", instance: 0, startedAt: now - 50_000 }),
    task({ taskId: "old0", instance: 0, state: "TASK_KILLED", since: now - 60_000 }),
    task({ taskId: "dead1-old", instance: 1, state: "TASK_FAILED", since: now - 900_000 }),
    task({ taskId: "dead1-new", instance: 1, state: "TASK_FAILED", since: now - 120_000 }),
    task({ taskId: "cut2", instance: 2, state: "TASK_UNREACHABLE" }),
    task({ taskId: "other", app: "web" }),
  ];

  it("reads current runs and, for instances without one, the latest ended run", () => {
    expect(selectLogTasks(tasks, { app: "api" }, { now }).map((t) => t.taskId)).toEqual([
      "run0",
      "dead1-new",
      "cut2",
    ]);
    expect(selectLogTasks(tasks, { app: "api", instance: 1 }, { now }).map((t) => t.taskId)).toEqual([
      "dead1-new",
    ]);
  });

  it("with --since reads every run alive within the window", () => {
    const chosen = selectLogTasks(tasks, { app: "api" }, { now, sinceMs: 10 * 60_000 });
    expect(chosen.map((t) => t.taskId).sort()).toEqual(["cut2", "dead1-new", "old0", "run0"]);
  });
});

describe("line format", () => {
  const origin = {
    app: "api",
    instance: 2,
    taskId: "api.1.2.0",
    host: "agent-1.local",
    stream: "stderr" as const,
  };
  it("prefixes instance and host, marks stderr only when both streams show", () => {
    expect(linePrefix(origin, false)).toBe("api[2] agent-1.local |");
    expect(linePrefix(origin, true)).toBe("api[2] agent-1.local err |");
    expect(linePrefix({ ...origin, stream: "stdout" }, true)).toBe("api[2] agent-1.local out |");
    const plain = new Chalk({ level: 0 });
    expect(formatLine(origin, "x", { json: false, showStream: false, color: plain })).toBe(
      "api[2] agent-1.local | x",
    );
    const coloured = formatLine(origin, "x", {
      json: false,
      showStream: false,
      color: new Chalk({ level: 1 }),
    });
    expect(coloured).toContain("\x1b[");
    expect(coloured.endsWith(" x")).toBe(true);
  });

  it("writes NDJSON records with exactly the documented fields", () => {
    const record = JSON.parse(formatLine(origin, "hé", { json: true, showStream: true, color: new Chalk() }));
    expect(record).toEqual({
      app: "api",
      instance: 2,
      task_id: "api.1.2.0",
      host: "agent-1.local",
      stream: "stderr",
      line: "hé",
    });
  });
});

describe("titan logs --help", () => {
  it("gives the exit codes logs exits with: an app titan does not know is a usage error, 2", async () => {
    const help = await runCli(["logs", "--help"]);
    expect(help.code).toBe(0);
    const codes = help.stdout.slice(help.stdout.indexOf("Exit codes:")).replace(/\s+/g, " ");
    expect(codes).toContain("2 usage error or an app titan does not know");
    expect(codes).not.toMatch(/1 no such app/);
  });
});

describe("a note about one instance's log", () => {
  it("names its region first when logs spans several, as the instance's lines do", () => {
    const origin = {
      app: "web",
      instance: 0,
      taskId: "web.4.0.1",
      host: "agent-1",
      stream: "stdout" as const,
    };
    expect(describeSource({ origin } as LogSource)).toBe("web[0] stdout (task web.4.0.1)");
    expect(describeSource({ origin: { ...origin, region: "eu-west" } } as LogSource)).toBe(
      "eu-west web[0] stdout (task web.4.0.1)",
    );
  });
});
