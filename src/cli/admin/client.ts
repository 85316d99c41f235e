/**
 * The CLI's HTTP client for a running gateway's admin API: base URL and key from flags or the environment,
 * a bounded time per request, and failures as `CliFailure` with the exit code the CLI returns.
 */

export const DEFAULT_URL = 'http://127.0.0.1:8400';
const REQUEST_TIMEOUT_MS = 30_000;

/** Exit codes: 1 the gateway refused the request, 2 bad usage, 3 the gateway could not be reached. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export function usageError(message: string): CliFailure {
  return new CliFailure(message, EXIT.usage);
}

export interface Connection {
  url: string;
  key: string;
}

type Env = Record<string, string | undefined>;

/** `--url`, else SWITCHYARD_URL, else the local default; `--key`, else SWITCHYARD_ADMIN_KEY, else SWITCHYARD_MASTER_KEY. */
export function connection(flags: { url?: string; key?: string }, env: Env): Connection {
  const url = (flags.url ?? (env.SWITCHYARD_URL || DEFAULT_URL)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(url)) throw usageError(`--url must be an http(s) URL, got "${url}"`);
  const key = flags.key ?? (env.SWITCHYARD_ADMIN_KEY || env.SWITCHYARD_MASTER_KEY || undefined);
  if (key === undefined || key === '') {
    throw usageError('No admin key: pass --key or set SWITCHYARD_ADMIN_KEY (a tenant admin key) or SWITCHYARD_MASTER_KEY.');
  }
  return { url, key };
}

interface ErrorEnvelope {
  error?: { message?: string; code?: string | null; param?: string | null };
}

function describeRefusal(status: number, body: unknown): string {
  const error = (body as ErrorEnvelope | null)?.error;
  if (error?.message === undefined) return `the gateway answered ${status}`;
  const param = error.param ? ` (param: ${error.param})` : '';
  return `${status} ${error.code ?? 'error'}: ${error.message}${param}`;
}

/** One admin API call; resolves to the JSON body of a 2xx answer. */
export async function adminRequest(conn: Connection, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${conn.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${conn.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliFailure(`cannot reach the gateway at ${conn.url}: ${cause}`, EXIT.unreachable);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new CliFailure(`${conn.url}${path} answered ${response.status} with a body that is not JSON (is this a Switchyard gateway?)`, EXIT.refused);
  }
  if (!response.ok) throw new CliFailure(describeRefusal(response.status, json), EXIT.refused);
  return json;
}

interface ListPage {
  data: Record<string, unknown>[];
  has_more: boolean;
  last_id: string | null;
}

/** Reads a paginated list: one page, or with `all` every page (at most `maxPages`, so a loop cannot run away). */
export async function listRows(conn: Connection, path: string, query: Record<string, string | undefined>, all: boolean, maxPages = 1000) {
  const rows: Record<string, unknown>[] = [];
  let after = query.after;
  for (let page = 0; page < maxPages; page++) {
    const params = new URLSearchParams(Object.entries({ ...query, after }).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const search = params.toString();
    const body = (await adminRequest(conn, 'GET', search === '' ? path : `${path}?${search}`)) as ListPage;
    rows.push(...body.data);
    if (!all || !body.has_more || body.last_id === null) return { rows, hasMore: body.has_more, lastId: body.last_id };
    after = body.last_id;
  }
  return { rows, hasMore: true, lastId: after ?? null };
}
