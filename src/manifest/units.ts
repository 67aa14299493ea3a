/** Units as the manifest writes them, converted to what Mesos and titan count: MB and milliseconds. */
import type { Amount } from "./types.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

const MB_PER_UNIT: Readonly<Record<string, number>> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
const SIZE = /^(\d+(?:\.\d+)?)(Mi|Gi|Ti)?$/;
const LOOKS_DECIMAL = /^(\d+(?:\.\d+)?)\s*(k|ki|m|mb|mib|g|gb|gib|t|tb|tib|b)$/i;

/**
 * `512Mi`, `1.5Gi`, `2Ti`, or a plain number of MB (as Mesos counts memory and disk: mebibytes). The result
 * is whole MB; decimal units (`M`, `GB`) are refused with the binary spelling as the hint, because the
 * difference is 5-10% of a machine.
 */
export function parseSize(value: string | number): Parsed<number> {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0)
      return { ok: false, message: `size must not be negative, got ${value}` };
    return wholeMb(value, String(value));
  }
  const match = SIZE.exec(value.trim());
  if (!match) {
    const decimal = LOOKS_DECIMAL.exec(value.trim());
    if (decimal) {
      const unit = (decimal[2] ?? "").toLowerCase();
      const binary =
        unit.startsWith("k") || unit === "b"
          ? "Mi"
          : unit.startsWith("m")
            ? "Mi"
            : unit.startsWith("g")
              ? "Gi"
              : "Ti";
      return {
        ok: false,
        message: `${JSON.stringify(value)} uses a unit titan does not take`,
        hint: `sizes use binary units Mi, Gi, Ti or a plain number of MB: did you mean "${decimal[1]}${binary}"?`,
      };
    }
    return {
      ok: false,
      message: `${JSON.stringify(value)} is not a size`,
      hint: 'write a size like "512Mi", "1Gi" or a plain number of MB',
    };
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? "Mi";
  return wholeMb(amount * (MB_PER_UNIT[unit] ?? 1), value);
}

function wholeMb(mb: number, written: string): Parsed<number> {
  const rounded = Math.round(mb * 1000) / 1000;
  if (!Number.isInteger(rounded)) {
    return {
      ok: false,
      message: `${written} is ${rounded} MB; sizes must be a whole number of MB`,
      hint: `use ${Math.ceil(rounded)}Mi`,
    };
  }
  return { ok: true, value: rounded };
}

/** The shortest exact spelling of a size in MB: 1536 → "1536Mi", 2048 → "2Gi". */
export function formatSize(mb: number): string {
  if (mb > 0 && mb % (1024 * 1024) === 0) return `${mb / (1024 * 1024)}Ti`;
  if (mb > 0 && mb % 1024 === 0) return `${mb / 1024}Gi`;
  return `${mb}Mi`;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations: `500ms`, `10s`, `5m`, `1h30m`. The result is whole milliseconds. */
export function parseDuration(value: string): Parsed<number> {
  const text = value.trim();
  const bad = (): Parsed<number> => ({
    ok: false,
    message: `${JSON.stringify(value)} is not a duration`,
    hint: 'write a number with a unit: "500ms", "10s", "5m", "1h30m"',
  });
  if (text === "") return bad();
  let total = 0;
  let offset = 0;
  while (offset < text.length) {
    DURATION_PART.lastIndex = offset;
    const part = DURATION_PART.exec(text);
    if (!part) return bad();
    total += Number(part[1]) * (MS_PER_UNIT[part[2] ?? ""] ?? 0);
    offset = DURATION_PART.lastIndex;
  }
  const ms = Math.round(total * 1000) / 1000;
  if (!Number.isInteger(ms)) {
    return { ok: false, message: `${JSON.stringify(value)} is not a whole number of milliseconds` };
  }
  return { ok: true, value: ms };
}

/** The canonical spelling of a duration: 90000 → "1m30s", 1500 → "1s500ms", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** A count (`2`) or a percentage of the instance count (`25%`). */
export function parseAmount(value: string | number): Parsed<Amount> {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) {
      return { ok: false, message: `expected a whole number of instances or a percentage, got ${value}` };
    }
    return { ok: true, value: { kind: "count", value } };
  }
  const match = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (!match) {
    return {
      ok: false,
      message: `${JSON.stringify(value)} is neither a count nor a percentage`,
      hint: 'write a whole number of instances (2) or a percentage ("25%")',
    };
  }
  const percent = Number(match[1]);
  if (percent > 100) return { ok: false, message: `${value} is more than 100%` };
  return { ok: true, value: { kind: "percent", value: percent } };
}

export function formatAmount(amount: Amount): string | number {
  return amount.kind === "percent" ? `${amount.value}%` : amount.value;
}
