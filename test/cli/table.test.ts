import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { renderTable } from "../../src/cli/table.js";
import { TextBytes } from "../../src/cli/text-bytes.js";

describe("renderTable", () => {
  it("aligns columns two spaces apart and leaves the last cell unpadded", () => {
    expect(
      renderTable(
        ["NAME", "STATE"],
        [
          ["web", "running"],
          ["worker-long", "-"],
        ],
      ),
    ).toBe(["NAME         STATE", "web          running", "worker-long  -"].join("\n"));
  });

  it("puts the indent before every line, the header's too", () => {
    expect(renderTable(["A", "B"], [["1", "2"]], "  ")).toBe("  A  B\n  1  2");
  });

  it("measures cells without their colour codes", () => {
    const color = new Chalk({ level: 1 });
    const text = renderTable(
      ["STATE", "HOST"],
      [
        [color.green("running"), "a1"],
        ["failed", "a2"],
      ],
    );
    expect(text.split("\n")).toEqual(["STATE    HOST", `${color.green("running")}  a1`, "failed   a2"]);
  });

  it("writes text outside ASCII as it is, padded by its length", () => {
    const text = renderTable(
      ["HOST", "ZONE"],
      [
        ["hôte-é", "zone-ü"],
        ["日本", "z"],
      ],
    );
    expect(text).toBe(["HOST    ZONE", "hôte-é  zone-ü", "日本      z"].join("\n"));
  });

  it("trims the whitespace that ends a line, as trimEnd does, ASCII or not", () => {
    expect(
      renderTable(
        ["A", "B"],
        [
          ["x", ""],
          ["y", "z\u00a0"],
          ["w", "v\t"],
        ],
      ),
    ).toBe(["A  B", "x", "y  z", "w  v"].join("\n"));
  });

  it("is the header line alone when there are no rows", () => {
    expect(renderTable(["ID", "HOSTNAME"], [])).toBe("ID  HOSTNAME");
  });
});

describe("TextBytes", () => {
  it("grows past its first capacity, ASCII and not", () => {
    const out = new TextBytes(4);
    for (let i = 0; i < 100; i++) out.text(i % 2 === 0 ? "abc" : "éà€");
    out.spaces(3);
    out.byte(0x0a);
    expect(out.toString()).toBe(`${"abcéà€".repeat(50)}   \n`);
  });
});
