import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChatMessage } from '../../src/core/openai-schema.js';
import { waitFor } from '../faults/harness.js';
import { startEngineMetricsMock, type EngineMetricsMock } from '../mocks/engine-metrics-mock.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';

/**
 * Two vLLM-like upstreams behind one engine-aware model, each with its own metrics endpoint. Staleness is set
 * far off so that the test does not depend on how fast this machine scrapes; the gateway's readings are
 * awaited before each step that depends on them.
 */
describe('engine-aware routing through the gateway', () => {
  const names = ['alpha', 'beta'] as const;
  const upstreams: Record<string, OpenAIMock> = {};
  const engines: Record<string, EngineMetricsMock> = {};
  let gw: RunningGateway;

  before(async () => {
    for (const name of names) {
      upstreams[name] = await startOpenAIMock({ engine: 'vllm' });
      engines[name] = await startEngineMetricsMock({ running: 1, waiting: 0, kvUsage: 0.1 });
    }
    gw = await startTestGateway({
      providers: Object.fromEntries(
        names.map((name) => [name, { type: 'openai-compatible', engine: 'vllm', base_url: upstreams[name]!.url }]),
      ),
      models: {
        llama: {
          routing: 'engine_aware',
          engine_aware: { scrape_interval_ms: 20, stale_after_ms: 600_000, idle_after_ms: 600_000, prefix_block_chars: 64 },
          deployments: names.map((name) => ({ provider: name, model: 'llama', metrics_url: engines[name]!.url })),
        },
      },
      resilience: { health_checks: { enabled: false } },
    });
  });
  after(async () => {
    await gw.close();
    for (const name of names) {
      await upstreams[name]!.close();
      await engines[name]!.close();
    }
  });

  const loads = () => gw.gateway.resilience.engineAware.loads();
  const readingOf = (name: string) => loads().find((load) => load.deployment === `${name}/llama`)?.reading;

  async function ask(messages: ChatMessage[]): Promise<string> {
    const response = await postJson(`${gw.url}/v1/chat/completions`, { model: 'llama', messages, max_tokens: 8 });
    assert.equal(response.status, 200, await response.clone().text());
    await response.text();
    const provider = response.headers.get('x-switchyard-provider');
    assert.ok(provider !== null && names.includes(provider as (typeof names)[number]), `served by ${provider}`);
    return provider;
  }

  const system = (topic: string): ChatMessage => ({
    role: 'system',
    content: `You are the support assistant for ${topic}. Answer precisely, cite the policy section, and keep a friendly tone. `.repeat(4),
  });

  test('scrapes both engines once the model has traffic, and exports their load', async () => {
    await ask([{ role: 'user', content: 'warm up' }]);
    await waitFor('readings of both engines', () => names.every((name) => readingOf(name) !== undefined), 5000);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /switchyard_upstream_kv_usage\{deployment="alpha\/llama"\} 0\.1/);
    assert.match(metrics, /switchyard_upstream_queue\{deployment="beta\/llama"\} 0/);
  });

  test('the turns of a conversation stay on the deployment that served its prefix', async () => {
    for (const topic of ['billing', 'shipping', 'returns', 'warranty']) {
      const messages: ChatMessage[] = [system(topic), { role: 'user', content: `First question about ${topic}?` }];
      const first = await ask(messages);
      for (let turn = 2; turn <= 4; turn++) {
        messages.push({ role: 'assistant', content: `Answer ${turn - 1} about ${topic}.` }, { role: 'user', content: `Follow-up ${turn}?` });
        assert.equal(await ask(messages), first, `${topic} turn ${turn} follows turn 1`);
      }
    }
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const hits = Number(/switchyard_routing_prefix_affinity_total\{model="llama",outcome="hit"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.ok(hits >= 12, `12 follow-up turns were affinity hits (counted ${hits})`);
  });

  test('a saturated holder loses the conversation, which then stays where it moved', async () => {
    const messages: ChatMessage[] = [system('accounts'), { role: 'user', content: 'How do I close my account?' }];
    const holder = await ask(messages);
    const other = names.find((name) => name !== holder)!;
    messages.push({ role: 'assistant', content: 'Go to settings.' }, { role: 'user', content: 'And then?' });
    assert.equal(await ask(messages), holder, 'follows its prefix while the holder is fine');

    engines[holder]!.set({ waiting: 12 });
    await waitFor(`${holder} reported as saturated`, () => readingOf(holder)?.waiting === 12, 5000);
    messages.push({ role: 'assistant', content: 'Confirm by email.' }, { role: 'user', content: 'Which email?' });
    assert.equal(await ask(messages), other, 'moved away from the saturated holder');

    engines[holder]!.set({ waiting: 0, kvUsage: 0.95 });
    await waitFor(`${holder} reported KV-full`, () => readingOf(holder)?.kvUsage === 0.95, 5000);
    messages.push({ role: 'assistant', content: 'The one on file.' }, { role: 'user', content: 'Can I change it?' });
    assert.equal(await ask(messages), other, 'KV use above the limit keeps it away too');

    engines[holder]!.set({ waiting: 0, kvUsage: 0.1 });
    await waitFor(`${holder} recovered`, () => readingOf(holder)?.kvUsage === 0.1, 5000);
    messages.push({ role: 'assistant', content: 'Yes.' }, { role: 'user', content: 'Thanks!' });
    assert.equal(await ask(messages), other, 'the conversation stays where its longest prefix now is');
  });

  test('with stale readings the gateway falls back to its own in-flight counts', async () => {
    await gw.gateway.reload(
      (() => {
        const config = structuredClone(gw.gateway.config());
        config.models.llama!.engine_aware.stale_after_ms = 10;
        return config;
      })(),
    );
    for (const name of names) engines[name]!.fault({ kind: 'status', status: 503 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(loads().every((load) => !load.fresh), 'every reading is stale');
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add(await ask([system('stale'), { role: 'user', content: `question ${i}` }]));
    assert.deepEqual([...served].sort(), ['alpha', 'beta'], 'idle deployments share the traffic without readings');
  });
});
