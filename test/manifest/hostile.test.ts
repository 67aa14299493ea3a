/** Inputs a careless or hostile author writes: out-of-range numbers, control characters, fetches that escape. */
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/cli/errors.js";
import { ValidationError } from "../../src/cli/errors.js";
import { parseManifests } from "../../src/manifest/index.js";

const APP = "name: api\nimage: registry.example.com/team/api:1.0\n";

function diagnosticsOf(text: string): readonly Diagnostic[] {
  try {
    parseManifests([{ file: "t.yaml", text, baseDir: "/srv/app" }]);
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics;
    throw error;
  }
  throw new Error("expected the manifest to be invalid, but it validated");
}

function only(text: string): Diagnostic {
  const diagnostics = diagnosticsOf(text);
  expect(diagnostics, JSON.stringify(diagnostics, null, 1)).toHaveLength(1);
  return diagnostics[0] as Diagnostic;
}

describe("every number has a range", () => {
  it.each([
    ["instances: 100000000000\n", "instances", "must be at most 10000, got 100000000000"],
    ["resources: { cpus: 1e-300 }\n", "resources.cpus", "must be at least 0.001, got 1e-300"],
    ["resources: { cpus: .nan }\n", "resources.cpus", "expected a number, got .nan (not a finite number)"],
    ["resources: { cpus: 2048 }\n", "resources.cpus", "must be at most 1024, got 2048"],
    ["resources: { mem: 1e300 }\n", "resources.mem", "must be at most 16Ti, got 1e300"],
    ["resources: { disk: 100Ti }\n", "resources.disk", "must be at most 64Ti, got 100Ti"],
    ["resources: { gpus: 1000 }\n", "resources.gpus", "must be at most 64, got 1000"],
    [
      "resources: { gpus: .inf }\n",
      "resources.gpus",
      "expected a whole number, got .inf (not a finite number)",
    ],
    ["kill_grace: 25h\n", "kill_grace", '"25h" is longer than 24h, the longest duration a manifest takes'],
    [
      "kill_grace: 99999999999999999999999999h\n",
      "kill_grace",
      '"99999999999999999999999999h" is longer than 24h, the longest duration a manifest takes',
    ],
    ["restart: { factor: 100 }\n", "restart.factor", "must be at most 10, got 100"],
    ["update: { max_surge: 20000 }\n", "update.max_surge", "must be at most 10000 instances, got 20000"],
    [
      "constraints: [{ max_per: rack, count: 1e9 }]\n",
      "constraints[0].count",
      "must be at most 10000, got 1e9",
    ],
    [
      "regions: { a: 9000, b: 9000 }\n",
      "regions",
      "regions add up to 18000 instances; an app runs at most 10000",
    ],
  ])("%s", (yaml, path, message) => {
    expect(only(`${APP}${yaml}`)).toMatchObject({ path, message });
  });

  it("never suggests an invalid value for too many decimals or too small a share", () => {
    const small = only(`${APP}resources: { cpus: 0.0001 }\n`);
    expect(small.message).toBe("must be at least 0.001, got 0.0001");
    expect(small.hint).toBe("write a number from 0.001 to 1024");
    const precise = only(`${APP}resources: { cpus: 0.0015 }\n`);
    expect(precise.hint).toMatch(/write 0\.00[12]$/);
  });
});

describe("control characters", () => {
  it.each([
    ['env: { A: "x\\0y" }\n', "env.A"],
    ['labels: { team: "pay\\ements" }\n', "labels.team"],
    ['labels: { team: "two\\nlines" }\n', "labels.team"],
    ['command: ["node", "a\\0b"]\n', "command[1]"],
    ['shell: "echo \\e]0;pwned\\a"\n', "shell"],
    ['constraints: [{ attribute: zone, equals: "a\\rb" }]\n', "constraints[0].equals"],
    ['fetch: [{ uri: "https://example.com/x", output_file: "a\\0b" }]\n', "fetch[0].output_file"],
    ['ports: [http]\nhealth: { http: { port: http, path: "/h\\x1b" } }\n', "health.http.path"],
  ])("refuses %s at its place, naming the character but never the text", (yaml, path) => {
    const d = only(`${APP}${yaml}`);
    expect(d.path).toBe(path);
    expect(d.message).toMatch(/^contains the control character U\+00[0-9A-F]{2}/);
    expect(d.message).not.toMatch(/pay|lines|pwned|two/);
    expect(d.line).toBeGreaterThanOrEqual(3);
  });

  it("refuses the app name and image with a control character", () => {
    expect(diagnosticsOf('name: "api\\0"\nimage: nginx\n')[0]?.path).toBe("name");
    expect(diagnosticsOf('name: api\nimage: "nginx\\e[2J"\n')[0]?.path).toBe("image");
  });

  it("keeps tab and newline where commands and values use them", () => {
    const manifest = parseManifests([
      {
        file: "t.yaml",
        text: `name: api\nshell: "echo a\\n\\techo b"\nenv: { CERT: "-----BEGIN-----\\nabc\\n-----END-----" }\n`,
      },
    ]);
    expect(manifest.apps[0]?.shell).toBe("echo a\n\techo b");
  });

  it.each([
    ["\u001b", "U+001B (ESC)"],
    ["\u0000", "U+0000 (NUL)"],
    ["\u007f", "U+007F (DEL)"],
    ["\u0085", "U+0085"],
    ["\u0007", "U+0007 (BEL)"],
  ])("refuses a raw %j in the file with file:line:col", (ch, name) => {
    const d = only(`${APP}labels:\n  team: pay${ch}ments\n`);
    expect(d).toMatchObject({ file: "t.yaml", line: 4, col: 12, path: "" });
    expect(d.message).toBe(`the file contains the raw control character ${name}`);
  });

  it("refuses exactly the C0 characters but tab, newline and carriage return, DEL and the C1 characters", () => {
    const refused: number[] = [];
    for (let code = 0; code <= 0x2ff; code++) {
      if (code === 0x0a || code === 0x0d) continue;
      const text = `${APP}labels:\n  team: "pay${String.fromCharCode(code)}ments"\n`;
      try {
        parseManifests([{ file: "t.yaml", text, baseDir: "/srv/app" }]);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const [first] = error.diagnostics;
        if (first?.message.startsWith("the file contains the raw control character")) refused.push(code);
      }
    }
    const expected = [
      ...Array.from({ length: 0x20 }, (_, code) => code).filter((code) => ![0x09, 0x0a, 0x0d].includes(code)),
      ...Array.from({ length: 0x21 }, (_, k) => 0x7f + k),
    ];
    expect(refused).toEqual(expected);
  });

  it("takes brackets inside a quoted value as text, not as nesting", () => {
    const note = "[".repeat(150);
    const manifest = parseManifests([{ file: "t.yaml", text: `${APP}labels:\n  note: "${note}"\n` }]);
    expect(manifest.apps[0]?.labels).toEqual({ note });
  });

  it("accepts tabs inside values and CRLF line ends", () => {
    const manifest = parseManifests([{ file: "t.yaml", text: 'name: api\r\nshell: "a\tb"\r\n' }]);
    expect(manifest.apps[0]?.shell).toBe("a\tb");
  });
});

describe("fetch", () => {
  it("refuses schemes the Mesos fetcher cannot fetch", () => {
    const d = only(`${APP}fetch: ["gopher://example.com/x"]\n`);
    expect(d).toMatchObject({ path: "fetch[0]", message: "the Mesos fetcher cannot fetch `gopher:` URIs" });
    expect(only(`${APP}fetch: ["javascript:alert(1)"]\n`).message).toContain("`javascript:`");
  });

  it.each(["../x", "../../etc/cron.d/x", "/etc/passwd", "a/b", "..", "."])(
    "refuses output_file %j, which would leave the sandbox or name no file",
    (name) => {
      const d = only(
        `${APP}fetch: [{ uri: "https://example.com/x", output_file: ${JSON.stringify(name)} }]\n`,
      );
      expect(d.path).toBe("fetch[0].output_file");
    },
  );

  it("refuses a URL that ends without a file name unless output_file names one", () => {
    expect(only(`${APP}fetch: ["https://example.com/"]\n`)).toMatchObject({
      path: "fetch[0]",
      message: '"https://example.com/" ends without a file name to save it under',
    });
    const manifest = parseManifests([
      { file: "t.yaml", text: `${APP}fetch: [{ uri: "https://example.com/", output_file: index.html }]\n` },
    ]);
    expect(manifest.apps[0]?.fetch[0]?.outputFile).toBe("index.html");
  });

  it("warns, with the place, for a file:// URL or absolute path read from the agent's own disk", () => {
    const manifest = parseManifests([
      {
        file: "t.yaml",
        text: `${APP}fetch:\n  - file:///etc/shadow\n  - /opt/tool\n  - server.js\n  - https://example.com/a.tgz\n`,
        baseDir: "/srv/app",
      },
    ]);
    expect(manifest.warnings.map((w) => `${w.line}:${w.col} ${w.path}: ${w.message}`)).toEqual([
      `4:5 fetch[0]: "file:///etc/shadow" is read from each agent's own disk, not from this machine`,
      `5:5 fetch[1]: "/opt/tool" is read from each agent's own disk, not from this machine`,
    ]);
  });
});

describe("fetch problems", () => {
  it("are all reported at once, a nameless entry among entries that are refused too", () => {
    const text = `${APP}fetch: ["gopher://x/y", "https://example.com/", "http:/x"]\n`;
    expect(diagnosticsOf(text).map((d) => `${d.path}: ${d.message}`)).toEqual([
      "fetch[0]: the Mesos fetcher cannot fetch `gopher:` URIs",
      'fetch[1]: "https://example.com/" ends without a file name to save it under',
      "fetch[2]: a `http:` URI needs `//` after the scheme",
    ]);
  });
});

describe("YAML structure errors", () => {
  it("reports a dedented line once, at that line, with an indentation hint", () => {
    const d = only(`${APP}resources:\n  cpus: 1\n mem: 512Mi\n  disk: 1Gi\nports:\n  - http\n`);
    expect(d).toMatchObject({ line: 5, col: 2, path: "" });
    expect(d.message).toBe(
      "this line is indented 1 space, which does not line up with the lines it belongs with",
    );
    expect(d.hint).toContain("line 4 above starts at column 3");
  });

  it("reports an over-indented line once, at that line", () => {
    const d = only(`${APP}resources:\n  cpus: 1\n    mem: 512Mi\nports:\n  - http\n`);
    expect(d).toMatchObject({ line: 5, col: 5 });
    expect(d.message).toMatch(/^this line is indented 4 spaces/);
  });

  it("reports the first key of a block when it is the one off, though the parser trips on the next", () => {
    const under = only(`${APP}env:\n LOG_LEVEL: info\n  DEBUG: "1"\n  MODE: fast\n`);
    expect(under).toMatchObject({ line: 4, col: 2 });
    const over = only(`${APP}env:\n   LOG_LEVEL: info\n  DEBUG: "1"\n  MODE: fast\n`);
    expect(over).toMatchObject({ line: 4, col: 4 });
  });

  it("reports a dedented list item once", () => {
    expect(only("name: api\ncommand:\n  - node\n - server.js\nimage: nginx\n")).toMatchObject({
      line: 4,
      col: 2,
    });
  });

  it.each([
    ['name: web\ncommand: ["node"\ninstances: 3\n', "[", 2, 10, "close it with ]"],
    ['name: web\nenv: { A: "1"\ninstances: 3\n', "{", 2, 6, "close it with }"],
    ['name: web\ncommand: ["sh", "-c",\n  "echo # ]"\ninstances: 3\n', "[", 2, 10, "close it with ]"],
  ])(
    "reports an unclosed flow bracket as such, naming where it opened: %j",
    (text, bracket, line, col, hint) => {
      const d = only(text);
      expect(d.message).toBe(`the ${bracket} opened at line ${line}, column ${col} is never closed`);
      expect(d.hint).toContain(hint);
    },
  );

  it("reports a flow list continued at its key's column as that, not as a misaligned line", () => {
    const d = only('name: web\ncommand: ["sh",\n"echo"]\ninstances: 3\n');
    expect(d).toMatchObject({ line: 3, col: 1 });
    expect(d.message).toBe(
      "this line continues the [ opened at line 2, column 10 but is not indented deeper than its key",
    );
    expect(d.hint).toContain("indent it by 2 spaces or more");
  });

  it("reports tabs once, naming the other lines", () => {
    const d = only(`${APP}resources:\n\tcpus: 1\n\tmem: 512Mi\n\tdisk: 1Gi\n`);
    expect(d).toMatchObject({
      line: 4,
      col: 1,
      message: "a tab is used for indentation (also on lines 5, 6)",
    });
  });
});

describe("messages that point at the fix", () => {
  it("names the default timeout when only the interval was set", () => {
    const d = only(`${APP}health:\n  shell: "true"\n  interval: 2s\n`);
    expect(d).toMatchObject({
      path: "health.interval",
      message: "interval 2s is not longer than the default timeout of 5s",
    });
    expect(d.hint).toContain("timeout: 1s");
  });

  it("names the default interval when only the timeout was set", () => {
    const d = only(`${APP}health:\n  shell: "true"\n  timeout: 15s\n`);
    expect(d.message).toBe("timeout 15s is not shorter than the default interval of 10s");
    expect(d.hint).toContain("interval: 30s");
  });

  it("hints at shell: for a health command written as one string", () => {
    const d = only(`${APP}health: { command: "true" }\n`);
    expect(d).toMatchObject({
      path: "health.command",
      message: "expected a list of text (argv), got a string",
    });
    expect(d.hint).toContain("`shell:`");
    expect(d.hint).toContain('["true"]');
  });
});
