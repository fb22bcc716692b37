/** Small numeric and formatting helpers for the bench's Markdown output. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** 52_700 → "52.7k", 2_720_000 → "2.72M", 812 → "812". */
export function si(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toFixed(digits);
}

/** "52.7k" for one value, "50.1k–55.3k" for a range. */
export function range(values: readonly number[], format: (v: number) => string = si): string {
  if (values.length === 0) return "–";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.length === 1 || lo === hi ? format(lo) : `${format(lo)}–${format(hi)}`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

export function pct(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : "–";
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "–";
}

export function int(value: number): string {
  return value.toLocaleString("en-US");
}

/** A Markdown table; cells are used as given. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
