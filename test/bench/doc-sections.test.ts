import { describe, expect, it } from "vitest";
import { replaceSection } from "../../bench/doc-sections.js";

const doc = [
  "# Benchmarks",
  "",
  "## titan plan at cluster scale",
  "",
  "Old run: 3063 ms.",
  "",
  "### Placement",
  "",
  "old generated table",
  "",
  "### A dated note (2026-12-02)",
  "",
  "kept by hand",
  "",
  "### Another note",
  "",
  "also kept",
  "",
  "## titan ps on 50,000 tasks",
  "",
  "ps figures",
  "",
].join("\n");

describe("a bench's section of docs/benchmarks.md", () => {
  it("takes the new run and keeps the subsections the run does not write, in their order", () => {
    const updated = replaceSection(
      doc,
      "titan plan at cluster scale",
      "New run: 2078 ms.\n\n### Placement\n\nnew generated table",
    );
    // Only the run's own text and its own subsection change; the notes after them stay where they were.
    expect(updated).toBe(
      doc
        .replace("Old run: 3063 ms.", "New run: 2078 ms.")
        .replace("old generated table", "new generated table"),
    );
  });

  it("leaves the other sections alone, the last one included", () => {
    const updated = replaceSection(doc, "titan ps on 50,000 tasks", "new ps figures");
    expect(updated.slice(0, doc.indexOf("## titan ps"))).toBe(doc.slice(0, doc.indexOf("## titan ps")));
    expect(updated.endsWith("## titan ps on 50,000 tasks\n\nnew ps figures\n")).toBe(true);
  });

  it("appends a section the file does not have yet", () => {
    expect(replaceSection("# Benchmarks\n", "Images", "figures")).toBe(
      "# Benchmarks\n\n## Images\n\nfigures\n",
    );
  });
});
