/**
 * The request log batch as PostgreSQL COPY text (tab-separated, one line per record, `\N` for null), for the
 * embedded store's `COPY request_log FROM '/dev/blob'`. On PGlite COPY costs ~40 % less CPU per row than the
 * `json_to_recordset` insert, most of whose cost is the JSON parse inside Postgres (bench/RESULTS.md, "Request log
 * insert"). Values go as PostgreSQL's own input text, so what is stored is what the INSERT paths store: doubles
 * as the shortest round-trip form (`NaN` and `Infinity` included), instants as ISO-8601 with milliseconds.
 */
import type { RequestLogRecord } from '../request-log.js';
import { requestLogColumns } from './request-log-columns.js';

/** COPY's escapes for the characters that would end a field or a line, and for the escape itself. */
const escapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const needsEscape = /[\\\t\n\r]/;
const escapable = /[\\\t\n\r]/g;

function copyField(value: RequestLogRecord[keyof RequestLogRecord] | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return needsEscape.test(value) ? value.replace(escapable, (c) => escapes[c]!) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

const keys = requestLogColumns.map(([key]) => key);

/**
 * One line per record. Throws (RangeError) on an invalid Date, which the caller sends down the INSERT path.
 * NUL, which COPY text cannot carry, is left in: the server refuses it (SQLSTATE 22021), as it refuses it in
 * an INSERT, and the caller falls back to that path.
 */
export function requestLogCopyText(records: readonly RequestLogRecord[]): string {
  let text = '';
  for (const record of records) {
    let line = copyField(record[keys[0]!]);
    for (let i = 1; i < keys.length; i++) line += `\t${copyField(record[keys[i]!])}`;
    text += `${line}\n`;
  }
  return text;
}

export const copyRequestLogFromBlob = `copy "request_log" (${requestLogColumns.map(([, column]) => `"${column}"`).join(', ')}) from '/dev/blob'`;
