import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { postJson, simConfig, startTestGateway, type RunningGateway } from '../helpers/server.js';

interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string };
}

/** Asserts the OpenAI error envelope (exactly its four fields) and returns it. */
async function envelope(response: Response, status: number, code: string): Promise<ErrorEnvelope['error']> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as ErrorEnvelope;
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  return body.error;
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'sim-small', messages: [{ role: 'user', content: 'hi' }], ...extra });

/** Sends a raw request with node:http so the framing (content-length vs chunked) is exactly what the test says. */
function rawPost(url: string, path: string, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    // The server answers 413 and closes while we may still be writing; that is the point, not a failure.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    const write = (index: number) => {
      if (index === chunks.length) return req.end();
      req.write(chunks[index], () => setImmediate(() => write(index + 1)));
    };
    write(0);
  });
}

describe('HTTP edge (node:http)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig({ server: { max_body_bytes: 4096 } }));
  });
  after(() => gw.close());

  test('413 for a body over the limit declared by content-length', async () => {
    const body = Buffer.alloc(64 * 1024, 'a');
    const res = await rawPost(gw.url, '/v1/chat/completions', [body], { 'content-type': 'application/json', 'content-length': String(body.length) });
    assert.equal(res.status, 413);
    const parsed = JSON.parse(res.body) as ErrorEnvelope;
    assert.equal(parsed.error.code, 'request_too_large');
    assert.match(parsed.error.message, /4096 bytes/);
    assert.equal(res.headers.connection, 'close');
  });

  test('413 for a chunked body (no content-length) that grows past the limit', async () => {
    const chunks = Array.from({ length: 16 }, () => Buffer.alloc(1024, 'b'));
    const res = await rawPost(gw.url, '/v1/chat/completions', chunks, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    assert.equal(res.status, 413);
    assert.equal((JSON.parse(res.body) as ErrorEnvelope).error.code, 'request_too_large');
  });

  test('a chunked body under the limit is read whole', async () => {
    const json = Buffer.from(JSON.stringify(chat({ max_tokens: 3 })));
    const halves = [json.subarray(0, 10), json.subarray(10)];
    const res = await rawPost(gw.url, '/v1/chat/completions', halves, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { object: string }).object, 'chat.completion');
  });

  test('400 invalid_json for a body that is not JSON, or not an object', async () => {
    for (const body of ['{"model": ', '[1,2]', '']) {
      const response = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const error = await envelope(response, 400, 'invalid_json');
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, null);
    }
  });

  test('400 schema errors name the parameter the OpenAI way', async () => {
    const cases: [body: unknown, param: string][] = [
      [{ model: 'sim-small', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      [{ model: 'sim-small', messages: [{ role: 'user', content: 'x' }, { role: 'user' }] }, 'messages[1].content'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [chat({ temperature: 'hot' }), 'temperature'],
    ];
    for (const [body, param] of cases) {
      const error = await envelope(await postJson(`${gw.url}/v1/chat/completions`, body), 400, 'invalid_request');
      assert.equal(error.param, param, error.message);
      assert.ok(error.message.includes(param), error.message);
    }
  });

  test('404 for an unknown model (param model) and for an unknown route', async () => {
    const model = await envelope(await postJson(`${gw.url}/v1/chat/completions`, chat({ model: 'no-such-model' })), 404, 'model_not_found');
    assert.equal(model.param, 'model');
    const missing = await envelope(await fetch(`${gw.url}/v1/models/no-such-model`), 404, 'model_not_found');
    assert.equal(missing.param, 'model');
    const route = await envelope(await fetch(`${gw.url}/v1/nothing-here`), 404, 'not_found');
    assert.match(route.message, /GET \/v1\/nothing-here/);
  });

  test('405 for a known path with the wrong method', async () => {
    await envelope(await fetch(`${gw.url}/v1/chat/completions`), 405, 'method_not_allowed');
    await envelope(await fetch(`${gw.url}/v1/chat/completions`, { method: 'DELETE' }), 405, 'method_not_allowed');
    await envelope(await fetch(`${gw.url}/v1/models`, { method: 'PUT', body: '{}' }), 405, 'method_not_allowed');
  });

  test('x-request-id is echoed when it is a plain token and replaced when it is not', async () => {
    const echoed = await postJson(`${gw.url}/v1/chat/completions`, chat(), { 'x-request-id': 'trace-42.a:b_c' });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-42.a:b_c');
    for (const unsafe of ['has spaces in it', '<script>', 'x'.repeat(129)]) {
      const replaced = await postJson(`${gw.url}/v1/chat/completions`, chat(), { 'x-request-id': unsafe });
      assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, unsafe);
    }
    // Errors, system routes and unknown routes carry one too.
    for (const response of [
      await postJson(`${gw.url}/v1/chat/completions`, chat({ model: 'nope' }), { 'x-request-id': 'err-1' }),
      await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'health-1' } }),
      await fetch(`${gw.url}/nowhere`, { headers: { 'x-request-id': 'lost-1' } }),
    ]) {
      assert.match(response.headers.get('x-request-id') ?? '', /^(err|health|lost)-1$/);
      await response.body?.cancel();
    }
  });

  test('gateway headers on success, stream and error', async () => {
    const ok = await postJson(`${gw.url}/v1/chat/completions`, chat({ model: 'fast' }));
    assert.equal(ok.headers.get('x-switchyard-model'), 'sim-small');
    assert.equal(ok.headers.get('x-switchyard-provider'), 'sim');
    assert.equal(ok.headers.get('x-switchyard-attempts'), '1');
    assert.equal(ok.headers.get('x-switchyard-cache'), 'bypass');
    await ok.body?.cancel();
    const streamed = await postJson(`${gw.url}/v1/chat/completions`, chat({ stream: true }));
    assert.equal(streamed.headers.get('x-switchyard-model'), 'sim-small');
    assert.match(await streamed.text(), /data: \[DONE\]\n\n$/);
    const failed = await postJson(`${gw.url}/v1/chat/completions`, chat({ model: 'nope' }));
    assert.equal(failed.headers.get('x-switchyard-cache'), 'bypass');
    await envelope(failed, 404, 'model_not_found');
  });

  test('/healthz and /readyz answer 200; /metrics has requests, TTFT and token counters after traffic', async () => {
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });

    await (await postJson(`${gw.url}/v1/chat/completions`, chat({ max_tokens: 4 }))).text();
    await (await postJson(`${gw.url}/v1/chat/completions`, chat({ max_tokens: 4, stream: true }))).text();
    const metrics = await fetch(`${gw.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^switchyard_requests_total\{endpoint="chat",model="sim-small",provider="sim",status="200"\} [1-9]/m);
    assert.match(text, /^gen_ai_server_time_to_first_token_seconds_count\{.*gen_ai_request_model="sim-small".*\} [1-9]/m);
    assert.match(text, /^switchyard_tokens_total\{type="input",model="sim-small",provider="sim"\} [1-9]/m);
    assert.match(text, /^switchyard_tokens_total\{type="output",model="sim-small",provider="sim"\} [1-9]/m);
    assert.match(text, /^switchyard_errors_total\{endpoint="chat",code="model_not_found"\} [1-9]/m);
    assert.match(text, /^switchyard_in_flight_requests 0$/m);
  });
});

describe('master-key authentication', () => {
  const key = 'sk-master-edge-test';
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway(simConfig({ auth: { master_key: key } }));
  });
  after(() => gw.close());

  test('a missing or wrong key is a 401 in the OpenAI envelope', async () => {
    const missing = await envelope(await postJson(`${gw.url}/v1/chat/completions`, chat()), 401, 'invalid_api_key');
    assert.equal(missing.type, 'authentication_error');
    assert.match(missing.message, /Missing API key/);
    const wrong: Record<string, string>[] = [{ authorization: 'Bearer sk-wrong' }, { 'x-api-key': 'sk-wrong' }, { authorization: `Basic ${key}` }];
    for (const headers of wrong) {
      await envelope(await postJson(`${gw.url}/v1/chat/completions`, chat(), headers), 401, 'invalid_api_key');
    }
    await envelope(await fetch(`${gw.url}/v1/models`), 401, 'invalid_api_key');
  });

  test('the right key works as a Bearer token and as x-api-key', async () => {
    const right: Record<string, string>[] = [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }];
    for (const headers of right) {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat(), headers);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { object: string }).object, 'chat.completion');
    }
  });

  test('health probes stay open', async () => {
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 200);
  });
});

/** Reads a streamed body to its end, noting when the first bytes arrived; a cut connection ends it too. */
async function readStream(response: Response, onFirst: () => void): Promise<{ text: string; cut: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = true;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, cut: false };
      text += decoder.decode(value, { stream: true });
      if (first) {
        first = false;
        onFirst();
      }
    }
  } catch {
    return { text, cut: true };
  }
}

describe('graceful shutdown', () => {
  test('a stream in flight completes with [DONE]; readiness turns 503 and new connections are refused', async () => {
    const gw = await startTestGateway(simConfig({ providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 30 } } }));
    const body = chat({ stream: true, max_tokens: 20, stream_options: { include_usage: true } });
    const response = await postJson(`${gw.url}/v1/chat/completions`, body);
    assert.equal(response.status, 200);
    let closing: Promise<void> | undefined;
    const started = performance.now();
    const { text, cut } = await readStream(response, () => {
      closing = gw.close(5000);
    });
    assert.equal(cut, false);
    assert.match(text, /data: \[DONE\]\n\n$/);
    // Every token the model produced reached the client.
    const completionTokens = Number(/"completion_tokens":(\d+)/.exec(text)?.[1]);
    assert.ok(completionTokens > 5);
    assert.equal((text.match(/"content":"[^"]+"/g) ?? []).length, completionTokens);

    assert.ok(gw.gateway.draining);
    const readiness = await gw.gateway.handle({
      method: 'GET',
      path: '/readyz',
      headers: {},
      body: null,
      controller: new AbortController(),
      requestId: 'probe',
    });
    assert.equal(readiness.status, 503);
    assert.match(readiness.body ?? '', /shutting down/);
    // A new connection is refused (a pooled keep-alive one would get 503 shutting_down instead).
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(undefined)));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    assert.equal(refused, 'ECONNREFUSED');
    await closing;
    // Closing waited for the stream, not for the whole grace period.
    assert.ok(performance.now() - started < 4000);
  });

  test('a stream still running when the grace period ends is cut, not left hanging', async () => {
    const gw = await startTestGateway(simConfig({ providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 200 } } }));
    const response = await postJson(`${gw.url}/v1/chat/completions`, chat({ stream: true, max_tokens: 60 }));
    let closing: Promise<void> | undefined;
    const started = performance.now();
    const { text } = await readStream(response, () => {
      closing = gw.close(300);
    });
    await closing;
    const elapsed = performance.now() - started;
    assert.ok(!text.includes('[DONE]'), 'a cut stream must not look complete');
    assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  });
});

describe('time limits', () => {
  test('a stream cut by the request time limit ends with an in-band error event, never [DONE]', async () => {
    const gw = await startTestGateway(
      simConfig({ server: { request_timeout_ms: 300 }, providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 100 } } }),
    );
    try {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat({ stream: true, max_tokens: 50 }));
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.ok(!text.includes('[DONE]'));
      assert.match(text, /event: error\ndata: \{"error":\{"message":"The request exceeded its time limit\.","type":"timeout_error","param":null,"code":"upstream_timeout"\}\}\n\n$/);
    } finally {
      await gw.close();
    }
  });

  test('a non-stream request over the time limit is a 504 upstream_timeout', async () => {
    const gw = await startTestGateway(
      simConfig({ server: { request_timeout_ms: 200 }, providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 50 } } }),
    );
    try {
      const response = await postJson(`${gw.url}/v1/chat/completions`, chat({ max_tokens: 50 }));
      await envelope(response, 504, 'upstream_timeout');
    } finally {
      await gw.close();
    }
  });

  test('x-switchyard-timeout-ms shortens the deadline; an invalid value is a 400 naming the header', async () => {
    const gw = await startTestGateway(simConfig({ providers: { sim: { type: 'sim', ttft_ms: 0, itl_ms: 50 } } }));
    try {
      const slow = await postJson(`${gw.url}/v1/chat/completions`, chat({ max_tokens: 40 }), { 'x-switchyard-timeout-ms': '150' });
      await envelope(slow, 504, 'upstream_timeout');
      const invalid = await postJson(`${gw.url}/v1/chat/completions`, chat(), { 'x-switchyard-timeout-ms': 'soon' });
      const error = await envelope(invalid, 400, 'invalid_request');
      assert.equal(error.param, 'x-switchyard-timeout-ms');
      const fine = await postJson(`${gw.url}/v1/chat/completions`, chat({ max_tokens: 2 }), { 'x-switchyard-timeout-ms': '5000' });
      assert.equal(fine.status, 200);
    } finally {
      await gw.close();
    }
  });

  test('a body that does not arrive within body_timeout_ms is a 408 and the connection closes', async () => {
    const gw = await startTestGateway(simConfig({ server: { body_timeout_ms: 200 } }));
    try {
      const { port } = new URL(gw.url);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        // Promise 100 bytes, send 10, then stall like a slow-loris client.
        socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":"');
      });
      assert.match(reply, /^HTTP\/1\.1 408 /);
      assert.match(reply, /"code":"body_timeout"/);
    } finally {
      await gw.close();
    }
  });
});
