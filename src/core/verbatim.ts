/**
 * The upstream's own JSON text of a parsed response the gateway left unchanged, so that the edge sends those bytes
 * instead of serialising the object again (`jsonResponse`). Keyed by the object itself: whoever changes such an
 * object after the adapter returned it must first drop this mark (nothing does today: the gateway builds new objects
 * for what it changes), or the client would get the old text.
 */
const texts = new WeakMap<object, string>();

/** Marks `value` as exactly what `text` encodes; returns `value`. */
export function keepVerbatim<T>(value: T, text: string): T {
  if (typeof value === 'object' && value !== null) texts.set(value, text);
  return value;
}

/** The text `value` was parsed from, when nothing changed it since. */
export function verbatimOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}
