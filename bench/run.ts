import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { replaceSection } from "./doc-sections.js";

interface Section {
  title: string;
  markdown: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** Runs every bench/*.ts module (or those named on the command line) and writes docs/benchmarks.md. */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const names = readdirSync(here)
    .filter((f) => f.endsWith(".js") && f !== "run.js" && !f.includes("-"))
    .map((f) => f.slice(0, -3))
    .filter((name) => only.length === 0 || only.includes(name))
    .sort((a, b) => (a === "startup" ? -1 : b === "startup" ? 1 : a.localeCompare(b)));
  const sections: Section[] = [];
  for (const name of names) {
    const module = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as {
      run?: () => Promise<Section>;
    };
    if (typeof module.run !== "function") continue;
    process.stderr.write(`bench: ${name}…\n`);
    const section = await module.run();
    process.stdout.write(`\n## ${section.title}\n\n${section.markdown}\n`);
    sections.push(section);
  }
  if (only.length > 0) {
    updateSections(sections);
    return;
  }
  const date = new Date().toISOString().slice(0, 10);
  const doc = [
    "# Benchmarks",
    "",
    `Measured with \`npm run bench\` on ${date}. Figures are from one machine and one run; ratios compare against`,
    "baselines measured in the same run. Benchmarks never run in the test suite.",
    ...sections.flatMap((s) => ["", `## ${s.title}`, "", s.markdown]),
    "",
  ].join("\n");
  writeFileSync(join(root, "docs", "benchmarks.md"), doc);
  process.stderr.write("bench: wrote docs/benchmarks.md\n");
}

/**
 * Replaces the named sections of docs/benchmarks.md in place (appending new ones), so one benchmark can be re-run
 * alone; the notes on earlier runs kept in a section's subsections stay (bench/doc-sections.ts).
 */
function updateSections(sections: readonly Section[]): void {
  const file = join(root, "docs", "benchmarks.md");
  if (!existsSync(file)) return;
  let doc = readFileSync(file, "utf8");
  for (const section of sections) doc = replaceSection(doc, section.title, section.markdown);
  writeFileSync(file, doc);
  process.stderr.write("bench: updated docs/benchmarks.md\n");
}

await main();
