/**
 * Redaction for logged bodies (DESIGN.md §11): values of sensitive JSON fields are replaced whole, and secrets
 * that look like API keys or bearer tokens are masked wherever they appear in a string. Then the body is cut to
 * the configured size. Headers are never logged at all, so `authorization` and `x-api-key` never get this far.
 */

export const REDACTED = '[REDACTED]';

/** Key- and token-shaped secrets; each keeps a short recognisable head so a reader knows what was there. */
const secretPatterns: readonly [pattern: RegExp, replacement: string][] = [
  // OpenAI, Anthropic (sk-ant-…), Switchyard (sk-sy-…) and similar `sk-`/`pk-`/`rk-` keys.
  [/\b(sk|pk|rk)-[A-Za-z0-9_-]{12,}/g, `$1-${REDACTED}`],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JSON Web Tokens.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Google API keys, AWS access key ids, GitHub and Slack tokens.
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, REDACTED],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}\b/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, REDACTED],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of secretPatterns) out = out.replace(pattern, replacement);
  return out;
}

function redactValue(value: unknown, fields: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, fields));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) {
      out[name] = fields.has(name.toLowerCase()) ? REDACTED : redactValue(inner, fields);
    }
    return out;
  }
  return value;
}

/** Cuts `text` to at most `maxBytes` of UTF-8 (never inside a character) and says how much went. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return `${bytes.subarray(0, end).toString('utf8')}…[truncated ${bytes.length - end} bytes]`;
}

/**
 * A body as it may be logged: JSON has the named fields (case-insensitive, any depth) replaced and secrets masked
 * in every string; anything else has its secrets masked. `fields` holds lower-case names.
 */
export function redactBody(body: string, fields: ReadonlySet<string>, maxBytes: number): string {
  let redacted: string;
  try {
    redacted = JSON.stringify(redactValue(JSON.parse(body), fields));
  } catch {
    redacted = redactSecrets(body);
  }
  return truncateUtf8(redacted, maxBytes);
}
