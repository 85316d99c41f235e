import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimEngine, type RunningSimEngine } from '../../src/sim/index.js';
import type { SimEngine } from '../../src/sim/engine.js';

interface Completion {
  choices: { message?: { content: string }; text?: string; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

async function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function chat(url: string, content: string, extra: Record<string, unknown> = {}): Promise<Completion> {
  const response = await post(url, '/v1/chat/completions', { model: 'llama-3.1-8b', messages: [{ role: 'user', content }], max_tokens: 4, ...extra });
  assert.equal(response.status, 200, `chat answered ${response.status}: ${await response.clone().text()}`);
  return (await response.json()) as Completion;
}

/** Virtual time to first token per request, in completion order. */
function recordTtft(engine: SimEngine): number[] {
  const ttft: number[] = [];
  engine.observe({
    scheduled() {},
    token(sequence, time, previous) {
      if (previous === undefined) ttft.push(time - sequence.arrivalTime);
    },
    finished() {},
    stepped() {},
  });
  return ttft;
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('model_name="llama-3.1-8b"'));
  assert.ok(line !== undefined, `/metrics has ${name} with the model_name label`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const words = (seed: string, count: number) => Array.from({ length: count }, (_, i) => `${seed}${i % 97} word${i}`).join(' ');

describe('sim server', () => {
  let sim: RunningSimEngine;
  before(async () => {
    sim = await startSimEngine({ model: 'llama-3.1-8b', gpu: 'h100', timeScale: 0, seed: 1 });
  });
  after(() => sim.close());

  test('answers chat and completions in OpenAI shape with the requested output length', async () => {
    const body = await chat(sim.url, 'Say something', { max_tokens: 12 });
    assert.equal(body.usage.completion_tokens, 12, 'max_tokens sets the output length');
    assert.equal(body.choices[0]?.finish_reason, 'length');
    assert.ok((body.choices[0]?.message?.content.split(' ').length ?? 0) >= 12, 'one word per output token');
    const again = await chat(sim.url, 'Say something', { max_tokens: 12 });
    assert.equal(again.choices[0]?.message?.content, body.choices[0]?.message?.content, 'the same prompt gives the same text');
    const completion = (await (await post(sim.url, '/v1/completions', { model: 'llama-3.1-8b', prompt: 'Once upon a time' })).json()) as Completion;
    assert.equal(completion.usage.completion_tokens, 16, 'completions default to 16 tokens, as in vLLM');
    assert.equal(typeof completion.choices[0]?.text, 'string');
  });

  test('without max_tokens the output length is drawn and ends with stop', async () => {
    const body = await post(sim.url, '/v1/chat/completions', { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'tell me more' }] });
    const json = (await body.json()) as Completion;
    assert.equal(json.choices[0]?.finish_reason, 'stop');
    assert.ok(json.usage.completion_tokens >= 1, 'a drawn length is at least one token');
  });

  test('a shared prompt prefix is served from the prefix cache: shorter TTFT and more hit tokens', async () => {
    const ttft = recordTtft(sim.engine);
    const system = words('policy', 1500);
    const before = await (await fetch(`${sim.url}/metrics`)).text();
    const first = await chat(sim.url, `${system}\nQuestion one?`);
    const second = await chat(sim.url, `${system}\nA different second question?`);
    const afterText = await (await fetch(`${sim.url}/metrics`)).text();
    assert.equal(first.usage.prompt_tokens_details.cached_tokens, 0, 'the first request found nothing cached');
    assert.ok(second.usage.prompt_tokens_details.cached_tokens > 0.9 * first.usage.prompt_tokens, 'the second reused the shared prefix');
    const [firstTtft, secondTtft] = ttft;
    assert.ok(firstTtft !== undefined && secondTtft !== undefined, 'both first tokens were observed');
    assert.ok(secondTtft < firstTtft / 3, `cached prefix TTFT ${secondTtft}s is well below uncached ${firstTtft}s`);
    const hits = metricValue(afterText, 'vllm:prefix_cache_hits_total') - metricValue(before, 'vllm:prefix_cache_hits_total');
    assert.equal(hits, second.usage.prompt_tokens_details.cached_tokens, 'the hit counter grew by the cached tokens');
  });

  test('TTFT grows with concurrent load', async () => {
    const ttft = recordTtft(sim.engine);
    await chat(sim.url, `alone ${words('solo', 400)}`);
    const alone = ttft[0] as number;
    ttft.length = 0;
    await Promise.all(Array.from({ length: 24 }, (_, i) => chat(sim.url, `request ${i} ${words(`load${i}-`, 400)}`, { max_tokens: 32 })));
    const mean = ttft.reduce((a, b) => a + b, 0) / ttft.length;
    assert.equal(ttft.length, 24, 'every concurrent request produced a first token');
    assert.ok(mean > 2 * alone, `mean TTFT under load ${mean}s exceeds twice the unloaded ${alone}s`);
  });

  test('exposes vLLM metrics with the model_name label', async () => {
    const response = await fetch(`${sim.url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    for (const name of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc',
      'vllm:num_preemptions_total', 'vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total', 'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total']) {
      assert.ok(Number.isFinite(metricValue(text, name)), `${name} has a numeric value`);
    }
    for (const name of ['vllm:time_to_first_token_seconds', 'vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds',
      'vllm:e2e_request_latency_seconds', 'vllm:request_queue_time_seconds']) {
      assert.ok(metricValue(text, `${name}_count`) > 0, `${name} has observations`);
      assert.match(text, new RegExp(`^${name}_bucket\\{le="\\+Inf",model_name="llama-3.1-8b"\\}`, 'm'), `${name} is a histogram`);
    }
    assert.ok(metricValue(text, 'vllm:generation_tokens_total') > 0, 'generated tokens were counted');
  });

  test('errors come back in OpenAI shape with the right status', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/chat/completions', { method: 'POST', body: '{not json' }, 400, 'invalid_json'],
      ['/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'other', messages: [{ role: 'user', content: 'x' }] }) }, 404, 'model_not_found'],
      ['/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'x' }], n: 2 }) }, 400, 'unsupported_parameter'],
      ['/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'llama-3.1-8b', messages: [] }) }, 400, 'invalid_request'],
      ['/v1/chat/completions', { method: 'GET' }, 405, 'method_not_allowed'],
      ['/v1/nothing', { method: 'GET' }, 404, 'not_found'],
      ['/v1/completions', { method: 'POST', body: 'x'.repeat(9 * 1024 * 1024) }, 413, 'request_too_large'],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await fetch(`${sim.url}${path}`, init);
      assert.equal(response.status, status, `${init.method} ${path} → ${status}`);
      const body = (await response.json()) as { error: { code: string; message: string; type: string } };
      assert.equal(body.error.code, code, `${path} error code`);
      assert.ok(body.error.message.length > 0, 'the error explains itself');
    }
  });

  test('models, health', async () => {
    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as { data: { id: string; max_model_len: number }[] };
    assert.deepEqual(models.data.map((m) => m.id), ['llama-3.1-8b']);
    assert.equal(models.data[0]?.max_model_len, sim.engine.config.capacity.maxModelLen);
    assert.equal((await fetch(`${sim.url}/health`)).status, 200);
  });
});

describe('sim server under KV pressure', () => {
  let sim: RunningSimEngine;
  before(async () => {
    sim = await startSimEngine({ numGpuBlocks: 40, maxModelLen: 640, timeScale: 0, servedModelName: 'llama-3.1-8b' });
  });
  after(() => sim.close());

  test('rejects a prompt longer than max_model_len with 400', async () => {
    const response = await post(sim.url, '/v1/completions', { model: 'llama-3.1-8b', prompt: Array.from({ length: 700 }, (_, i) => i + 300) });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'context_length_exceeded');
    assert.match(body.error.message, /maximum context length is 640 tokens/);
    const withOutput = await post(sim.url, '/v1/completions', { model: 'llama-3.1-8b', prompt: 'short', max_tokens: 700 });
    assert.equal(withOutput.status, 400, 'prompt plus max_tokens over the limit is refused too');
  });

  test('preempts and recomputes when the cache is full; every request still completes', async () => {
    const prompt = (i: number) => Array.from({ length: 100 }, (_, t) => 1000 + i * 1000 + t);
    const results = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
      const response = await post(sim.url, '/v1/completions', { model: 'llama-3.1-8b', prompt: prompt(i), max_tokens: 400 });
      assert.equal(response.status, 200, `request ${i} succeeded`);
      return (await response.json()) as Completion;
    }));
    for (const result of results) assert.equal(result.usage.completion_tokens, 400, 'each request got its full output');
    const text = await (await fetch(`${sim.url}/metrics`)).text();
    assert.ok(metricValue(text, 'vllm:num_preemptions_total') > 0, 'preemptions were counted');
    assert.equal(sim.engine.snapshot().kvCacheUsage, 0, 'all blocks free afterwards');
  });

  test('a client that disconnects mid-stream frees its sequence and blocks', async () => {
    const slow = await startSimEngine({ numGpuBlocks: 40, maxModelLen: 640, timeScale: 0.05 });
    try {
      const controller = new AbortController();
      const response = await fetch(`${slow.url}/v1/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, signal: controller.signal,
        body: JSON.stringify({ model: 'llama-3.1-8b', prompt: 'stream a long answer', max_tokens: 600, stream: true }),
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      assert.equal(slow.engine.snapshot().running, 1, 'the sequence is running while streaming');
      assert.ok(slow.engine.snapshot().kvCacheUsage > 0, 'it holds blocks');
      controller.abort();
      const deadline = Date.now() + 5000;
      while (slow.engine.snapshot().running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(slow.engine.snapshot().running, 0, 'the aborted sequence left the batch');
      assert.equal(slow.engine.snapshot().kvCacheUsage, 0, 'its blocks were freed');
    } finally {
      await slow.close();
    }
  });
});
