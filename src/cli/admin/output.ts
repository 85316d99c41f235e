/** How admin commands print: aligned text tables for people, or the API's JSON with `--json`. */

export type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? '-' : JSON.stringify(value);
  return String(value);
}

/** Columns in the given order, padded to the widest cell; one header line. */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
  const format = (line: readonly string[]) => line.map((value, index) => value.padEnd(widths[index]!)).join('  ').trimEnd();
  return [format(columns.map((column) => column.toUpperCase())), ...cells.map(format)].join('\n') + '\n';
}

/** One record as `field: value` lines. */
export function record(row: Row, fields: readonly string[]): string {
  const width = Math.max(...fields.map((field) => field.length));
  return fields.map((field) => `${`${field}:`.padEnd(width + 1)} ${cell(row[field])}`).join('\n') + '\n';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
