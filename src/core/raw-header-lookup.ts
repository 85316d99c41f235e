/**
 * Response headers read straight from undici's raw `[name, value, name, value]` list. Most lookups ask for a
 * header the response does not carry (quota headers), so names are compared by length before any decoding, and
 * no header object is built for a response nobody asks about.
 */
import type { HeaderLookup } from './upstream-http.js';

export class RawHeaderLookup implements HeaderLookup {
  constructor(private readonly raw: readonly Buffer[]) {}

  /** A repeated header's values joined with ", ", as HTTP folds them; null when absent. */
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const { raw } = this;
    let found: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i];
      const value = raw[i + 1];
      // latin1: one byte per character, so a byte length that differs can never match.
      if (key === undefined || value === undefined || key.length !== wanted.length) continue;
      if (key.toString('latin1').toLowerCase() !== wanted) continue;
      const text = value.toString('latin1');
      found = found === null ? text : `${found}, ${text}`;
    }
    return found;
  }
}
