/**
 * The request log on a running gateway: one record per request, written in batches by size and by flush; a
 * stalled store never slows requests (records are dropped and counted); a failing store keeps the newest records
 * within the bound and writes them once it is back; bodies are off by default and redacted when on; JSON lines
 * on stdout; tenant and key ids recorded, secrets never.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { KeyCache } from '../../src/stores/key-cache.js';
import { MemoryRequestLogStore } from '../../src/stores/memory/request-log-store.js';
import { openMemoryStores } from '../../src/stores/memory/index.js';
import type { RequestLogRecord, RequestLogStore } from '../../src/stores/request-log.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';
import { recordingLog, TEST_PEPPER } from '../helpers/stores.js';

const chat = (content = 'hello there') => ({ model: 'fast', messages: [{ role: 'user', content }], max_tokens: 4 });

/** A memory store that notes each batch, and can stall (never answer) or fail until told otherwise. */
class ObservedStore implements RequestLogStore {
  readonly inner = new MemoryRequestLogStore();
  readonly batches: number[] = [];
  mode: 'ok' | 'stall' | 'fail' = 'ok';
  private readonly stalled: (() => void)[] = [];

  async append(records: readonly RequestLogRecord[]): Promise<void> {
    if (this.mode === 'fail') throw new Error('store is down');
    if (this.mode === 'stall') await new Promise<void>((resolve) => this.stalled.push(resolve));
    this.batches.push(records.length);
    await this.inner.append(records);
  }
  list: RequestLogStore['list'] = (query) => this.inner.list(query);
  deleteOlderThan: RequestLogStore['deleteOlderThan'] = (cutoff, limit) => this.inner.deleteOlderThan(cutoff, limit);

  release(): void {
    this.mode = 'ok';
    for (const resume of this.stalled.splice(0)) resume();
  }
  all(): Promise<RequestLogRecord[]> {
    return this.inner.list({ scope: { all: true }, limit: 1000 });
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function send(gw: RunningGateway, body: unknown = chat(), headers: Record<string, string> = {}): Promise<Response> {
  const response = await postJson(`${gw.url}/v1/chat/completions`, body, headers);
  await response.arrayBuffer();
  return response;
}

async function metric(gw: RunningGateway, series: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(series.length).trim());
}

function gatewayWith(requestLog: SwitchyardConfigInput['request_log'], store: RequestLogStore, stdout?: { write(line: string): boolean; writableLength: number }) {
  return startTestGateway(simConfig({ request_log: requestLog }), { requestLog: { store, stdout } });
}

describe('request log: batches', () => {
  const store = new ObservedStore();
  let gw: RunningGateway;
  before(async () => {
    gw = await gatewayWith({ batch_size: 5, flush_interval_ms: 60_000 }, store);
  });
  after(() => gw.close());

  test('a full batch is written as one append; the rest waits for the flush', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await send(gw)).headers.get('x-request-id')!);
    await until(async () => (await store.all()).length === 10, 'two full batches');
    assert.deepEqual(store.batches, [5, 5]);
    await gw.gateway.requestLog.flush();
    assert.deepEqual(store.batches, [5, 5, 2]);
    const records = await store.all();
    assert.deepEqual(records.map((record) => record.requestId).reverse(), ids);
    const latest = records[0]!;
    assert.equal(latest.status, 200);
    assert.equal(latest.endpoint, 'chat');
    assert.equal(latest.requestedModel, 'fast');
    assert.equal(latest.model, 'sim-small');
    assert.equal(latest.provider, 'sim');
    assert.equal(latest.attempts, 1);
    assert.equal(latest.cache, 'bypass');
    assert.equal(latest.tenantId, null, 'demo mode has no tenant');
    assert.ok(latest.inputTokens! > 0 && latest.outputTokens! > 0, 'usage recorded');
    assert.ok(latest.latencyMs > 0 && latest.ttftMs !== null && latest.ttftMs <= latest.latencyMs, 'timings recorded');
    assert.equal(latest.requestBody, null, 'bodies are off by default');
    assert.equal(latest.responseBody, null, 'bodies are off by default');
    assert.equal(await metric(gw, 'switchyard_request_log_written_total'), 12);
  });

  test('a failed request is logged with its status and error code', async () => {
    const response = await send(gw, { ...chat(), model: 'no-such-model' });
    assert.equal(response.status, 404);
    await gw.gateway.requestLog.flush();
    const [latest] = await store.all();
    assert.equal(latest!.requestId, response.headers.get('x-request-id'));
    assert.equal(latest!.status, 404);
    assert.equal(latest!.errorCode, 'model_not_found');
    assert.equal(latest!.model, null);
  });
});

describe('request log: a stalled store', () => {
  const store = new ObservedStore();
  let gw: RunningGateway;
  before(async () => {
    store.mode = 'stall';
    gw = await gatewayWith({ queue_size: 4, batch_size: 2, flush_interval_ms: 60_000 }, store);
  });
  after(async () => {
    store.release();
    await gw.close();
  });

  test('requests go on; records beyond the queue are dropped and counted; the kept ones are written later', async () => {
    for (let i = 0; i < 12; i++) assert.equal((await send(gw)).status, 200, `request ${i} answered while the store stalls`);
    // Two records sit in the stalled write, four in the queue, six were dropped.
    assert.equal(await metric(gw, 'switchyard_request_log_dropped_total{reason="queue_full"}'), 6);
    assert.equal(await metric(gw, 'switchyard_request_log_queue_depth'), 4);
    store.release();
    await gw.gateway.requestLog.flush();
    assert.equal((await store.all()).length, 6);
  });
});

describe('request log: records that arrive during a write', () => {
  const store = new ObservedStore();
  let gw: RunningGateway;
  before(async () => {
    store.mode = 'stall';
    gw = await gatewayWith({ batch_size: 5, flush_interval_ms: 60_000 }, store);
  });
  after(async () => {
    store.release();
    await gw.close();
  });

  test('wait for a full batch or the flush, not written as a small batch when the write ends', async () => {
    for (let i = 0; i < 8; i++) assert.equal((await send(gw)).status, 200);
    store.release();
    await until(() => store.batches.length === 1, 'the stalled batch');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(store.batches, [5], 'the 3 that came during the write wait');
    for (let i = 0; i < 2; i++) assert.equal((await send(gw)).status, 200);
    await until(() => store.batches.length === 2, 'the second full batch');
    await gw.gateway.requestLog.flush();
    assert.deepEqual(store.batches, [5, 5]);
    assert.equal((await store.all()).length, 10);
  });
});

describe('request log: a failing store', () => {
  const store = new ObservedStore();
  let gw: RunningGateway;
  before(async () => {
    store.mode = 'fail';
    gw = await gatewayWith({ queue_size: 3, batch_size: 1, flush_interval_ms: 60_000 }, store);
  });
  after(() => gw.close());

  test('keeps the newest records within the bound, counts the oldest dropped, writes the rest on recovery', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await send(gw)).headers.get('x-request-id')!);
    assert.equal(await metric(gw, 'switchyard_request_log_dropped_total{reason="store_unavailable"}'), 3);
    assert.ok((await metric(gw, 'switchyard_request_log_write_failures_total')) >= 1, 'the failed write is counted');
    store.mode = 'ok';
    await gw.gateway.requestLog.flush();
    assert.deepEqual((await store.all()).map((record) => record.requestId).reverse(), ids.slice(3));
  });
});

describe('request log: bodies, redaction, stdout, tenants', () => {
  const store = new ObservedStore();
  const lines: string[] = [];
  const stdout = { write: (line: string) => lines.push(line) > 0, writableLength: 0 };
  const stores = openMemoryStores(TEST_PEPPER);
  let cache: KeyCache;
  let gw: RunningGateway;
  let secret: string;
  let keyId: string;

  before(async () => {
    const tenant = await stores.tenants.create({ id: 'acme-log', name: 'Acme' });
    ({ secret, key: { id: keyId } } = await stores.keys.create(tenant.id, { name: 'app' }));
    cache = await KeyCache.start(stores, { log: recordingLog() });
    gw = await startTestGateway(
      simConfig({
        auth: { master_key: 'master-key-for-tests' },
        request_log: { bodies: true, stdout: true, max_body_bytes: 600, redact_fields: ['SSN'] },
      }),
      { keys: cache, requestLog: { store, stdout } },
    );
  });
  after(async () => {
    await gw.close();
    await cache.close();
  });

  test('bodies are kept with keys, bearer tokens and configured fields redacted; the caller key never appears', async () => {
    const leaked = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const body = {
      ...chat(`my key is ${leaked} and my header was Bearer eyJhbGciOi.abcdefghijk.lmnopqrstu`),
      metadata: { ssn: '123-45-6789', api_key: 'plain-secret-value' },
    };
    const response = await send(gw, body, { authorization: `Bearer ${secret}` });
    assert.equal(response.status, 200);
    await gw.gateway.requestLog.flush();
    const [record] = await store.all();
    assert.equal(record!.tenantId, 'acme-log');
    assert.equal(record!.keyId, keyId);
    const stored = JSON.stringify(record);
    for (const secretPart of ['abcdefghijklmnopqrstuvwxyz0123456789', 'eyJhbGciOi', '123-45-6789', 'plain-secret-value', secret.slice(6)]) {
      assert.ok(!stored.includes(secretPart), `"${secretPart}" is not in the stored record`);
    }
    const request = JSON.parse(record!.requestBody!) as { metadata: Record<string, string>; messages: { content: string }[] };
    assert.equal(request.metadata.ssn, '[REDACTED]');
    assert.equal(request.metadata.api_key, '[REDACTED]');
    assert.match(request.messages[0]!.content, /my key is sk-\[REDACTED\] and my header was Bearer \[REDACTED\]/);
    assert.match(record!.responseBody!, /"chat\.completion"/);
    const line = lines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.id === record!.id);
    assert.ok(line !== undefined, 'the same record went to stdout as a JSON line');
    assert.equal(line.type, 'request');
    assert.equal(line.tenant_id, 'acme-log');
    assert.equal(line.request_body, record!.requestBody);
    assert.ok(!lines.join('').includes(secret.slice(6)), 'the caller key is not on stdout');
  });

  test('a long body is cut to max_body_bytes and marked', async () => {
    await send(gw, chat('x'.repeat(5000)), { authorization: `Bearer ${secret}` });
    await gw.gateway.requestLog.flush();
    const [record] = await store.all();
    assert.ok(Buffer.byteLength(record!.requestBody!) < 700, `cut to about 600 bytes, got ${Buffer.byteLength(record!.requestBody!)}`);
    assert.match(record!.requestBody!, /…\[truncated \d+ bytes\]$/);
  });
});

describe('request log: streamed bodies', () => {
  const store = new ObservedStore();
  const quietStore = new ObservedStore();
  let mock: OpenAIMock;
  let gw: RunningGateway;
  let quiet: RunningGateway;
  const upstream = (url: string): SwitchyardConfigInput => ({
    resilience: { health_checks: { enabled: false }, retries: { max_attempts: 1 } },
    providers: { up: { type: 'openai-compatible', base_url: url } },
    models: { m: { deployments: [{ provider: 'up', model: 'm' }] } },
  });
  const stream = (extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content: 'go' }], stream: true, ...extra });
  const latest = async (log: RunningGateway, from: ObservedStore) => {
    await log.gateway.requestLog.flush();
    return (await from.all())[0]!;
  };

  before(async () => {
    mock = await startOpenAIMock();
    gw = await startTestGateway({ ...upstream(mock.url), request_log: { bodies: true, max_body_bytes: 300 } }, { requestLog: { store } });
    quiet = await startTestGateway(upstream(mock.url), { requestLog: { store: quietStore } });
  });
  after(async () => {
    await gw.close();
    await quiet.close();
    await mock.close();
  });

  test('a streamed answer is logged as its accumulated text, secrets redacted', async () => {
    const text = 'The key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 and the answer is 42.';
    mock.setScenario({ kind: 'text', text });
    const response = await send(gw, stream());
    assert.equal(response.status, 200);
    const record = await latest(gw, store);
    const body = JSON.parse(record.responseBody!) as { choices: { content: string; finish_reason: string }[]; truncated: boolean };
    assert.equal(body.choices[0]!.content, 'The key is sk-[REDACTED] and the answer is 42.');
    assert.equal(body.choices[0]!.finish_reason, 'stop');
    assert.equal(body.truncated, false);
    assert.match(record.requestBody!, /"stream":true/);
  });

  test('tool call names and arguments are accumulated from their deltas', async () => {
    mock.setScenario({ kind: 'tool_call', name: 'get_weather', arguments: { city: 'Paris' } });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const response = await send(gw, stream({ tools }));
    assert.equal(response.status, 200);
    const body = JSON.parse((await latest(gw, store)).responseBody!) as { choices: { tool_calls: { name: string; arguments: string }[] }[] };
    assert.equal(body.choices[0]!.tool_calls[0]!.name, 'get_weather');
    assert.deepEqual(JSON.parse(body.choices[0]!.tool_calls[0]!.arguments), { city: 'Paris' });
  });

  test('accumulation stops at max_body_bytes and the body is marked truncated', async () => {
    mock.setScenario({ kind: 'text', text: 'word '.repeat(400) });
    const response = await send(gw, stream());
    assert.equal(response.status, 200);
    const logged = (await latest(gw, store)).responseBody!;
    assert.ok(Buffer.byteLength(logged) < 400, `about max_body_bytes (300) plus the marker, got ${Buffer.byteLength(logged)}`);
    assert.match(logged, /"truncated":true|…\[truncated \d+ bytes\]$/);
  });

  test('with bodies off a stream is logged without a body', async () => {
    mock.setScenario({ kind: 'text', text: 'nothing to keep' });
    const response = await send(quiet, stream());
    assert.equal(response.status, 200);
    const record = await latest(quiet, quietStore);
    assert.equal(record.responseBody, null);
    assert.equal(record.requestBody, null);
  });
});
