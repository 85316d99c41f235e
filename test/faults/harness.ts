/**
 * What the fault-injection suites share: a gateway over OpenAI mock upstreams (one provider per mock, health
 * probes off so that every upstream request is one the test caused), requests as a client sends them, SSE and
 * `/metrics` read back.
 */
import { afterEach } from 'node:test';
import type { Clock } from '../../src/core/clock.js';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { startTestGateway, type RunningGateway } from '../helpers/server.js';
import { refusedPort } from '../mocks/mock-server.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';

/** The upstream model every deployment asks for: deployment ids are `<provider>/gpt-4o-mini`. */
export const upstreamModel = 'gpt-4o-mini';

export const deploymentId = (provider: string): string => `${provider}/${upstreamModel}`;

type Resilience = NonNullable<SwitchyardConfigInput['resilience']>;
type Models = SwitchyardConfigInput['models'];

export interface FaultRig {
  gw: RunningGateway;
  /** The mock behind each provider name (providers pointed at a refused port have none). */
  mocks: Record<string, OpenAIMock>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Provider names with a live mock upstream each. */
  live: string[];
  /** Provider names whose base URL is a loopback port that refuses connections. */
  refused?: string[];
  models: Models;
  resilience?: Resilience;
  random?: () => number;
  clock?: Clock;
}

/** `{ deployments: [{ provider, model: gpt-4o-mini }, …], ...extra }` for each provider named. */
export function model(providers: string[], extra: Partial<Models[string]> = {}): Models[string] {
  return { deployments: providers.map((provider) => ({ provider, model: upstreamModel })), ...extra };
}

/**
 * For a `describe` block: returns the function its tests start a rig with, and closes each test's rig after it
 * (whether it passed or not).
 */
export function rigPerTest(): (options: RigOptions) => Promise<FaultRig> {
  let current: FaultRig | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options) => {
    current = await startRig(options);
    return current;
  };
}

async function startRig(options: RigOptions): Promise<FaultRig> {
  const mocks: Record<string, OpenAIMock> = {};
  const providers: SwitchyardConfigInput['providers'] = {};
  for (const name of options.live) {
    mocks[name] = await startOpenAIMock();
    providers[name] = { type: 'openai', api_key: 'sk-fault', base_url: mocks[name].url };
  }
  for (const name of options.refused ?? []) {
    providers[name] = { type: 'openai', api_key: 'sk-fault', base_url: `http://127.0.0.1:${await refusedPort()}/v1` };
  }
  const resilience: Resilience = { ...options.resilience, health_checks: { enabled: false, ...options.resilience?.health_checks } };
  const gw = await startTestGateway(
    { providers, models: options.models, resilience },
    { resilience: { random: options.random ?? (() => 0), ...(options.clock ? { clock: options.clock } : {}) } },
  );
  return {
    gw,
    mocks,
    async close() {
      await gw.close(200);
      await Promise.all(Object.values(mocks).map((mock) => mock.close()));
    },
  };
}

export interface ChatOptions {
  stream?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The user message, to tell requests apart at the upstream. */
  content?: string;
}

export function chat(gw: RunningGateway, modelName: string, options: ChatOptions = {}): Promise<Response> {
  const body = {
    model: modelName,
    messages: [{ role: 'user', content: options.content ?? 'Hello?' }],
    ...(options.stream ? { stream: true } : {}),
  };
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal,
  });
}

/** Sends the request and measures how long the whole answer took, body included. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

export interface OpenAIErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string };
}

export async function errorOf(response: Response): Promise<OpenAIErrorEnvelope['error']> {
  const body = (await response.json()) as OpenAIErrorEnvelope;
  return body.error;
}

export interface SSEEvent {
  event?: string;
  data: string;
}

/** Every SSE event of a finished body, `[DONE]` included as a data event. */
export async function readSSE(response: Response): Promise<SSEEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: SSEEvent = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      return event;
    });
}

/** Finish reasons anywhere in an OpenAI chunk stream's data events. */
export function finishReasonsIn(events: SSEEvent[]): string[] {
  return events.flatMap((event) => {
    if (event.event !== undefined || event.data === '[DONE]') return [];
    const chunk = JSON.parse(event.data) as { choices: { finish_reason: string | null }[] };
    return chunk.choices.flatMap((choice) => (choice.finish_reason ? [choice.finish_reason] : []));
  });
}

/** The `/metrics` exposition text. */
export async function scrape(gw: RunningGateway): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

/** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

/** Upstream attempts the gateway counted for `provider` with `outcome` (`ok` or an error code). */
export async function attemptsCounted(gw: RunningGateway, provider: string, outcome: string): Promise<number> {
  return sample(await scrape(gw), 'switchyard_upstream_attempts_total', { provider, outcome });
}

/** Polls until `check` holds; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
