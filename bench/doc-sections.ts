/**
 * A bench's section of docs/benchmarks.md replaced by a new run's markdown (appended when the file has no such
 * section). The section's `###` subsections that the new markdown does not write itself (notes on earlier runs,
 * written by hand) stay, after it, in their order; the rest of the old section is the old run's and goes.
 */
export function replaceSection(doc: string, title: string, markdown: string): string {
  const heading = `## ${title}\n`;
  const start = doc.indexOf(heading);
  if (start < 0) return `${doc.trimEnd()}\n\n${heading}\n${markdown}\n`;
  const next = doc.indexOf("\n## ", start + heading.length);
  const end = next < 0 ? doc.length : next + 1;
  const written = new Set(subsections(markdown).map((s) => s.title));
  const kept = subsections(doc.slice(start + heading.length, end)).filter((s) => !written.has(s.title));
  const body = [markdown.trimEnd(), ...kept.map((s) => s.text.trimEnd())].join("\n\n");
  return `${doc.slice(0, start)}${heading}\n${body}\n${next < 0 ? "" : "\n"}${doc.slice(end)}`;
}

/** The `### ` subsections of a section's text, each from its heading to the next. */
function subsections(text: string): Array<{ title: string; text: string }> {
  const found: Array<{ title: string; text: string }> = [];
  const starts: number[] = [];
  if (text.startsWith("### ")) starts.push(0);
  for (let at = text.indexOf("\n### "); at >= 0; at = text.indexOf("\n### ", at + 1)) starts.push(at + 1);
  starts.forEach((from, k) => {
    const to = starts[k + 1] ?? text.length;
    const lineEnd = text.indexOf("\n", from);
    found.push({
      title: text.slice(from + 4, lineEnd < 0 ? to : lineEnd).trim(),
      text: text.slice(from, to),
    });
  });
  return found;
}
