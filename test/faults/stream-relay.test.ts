/**
 * An OpenAI-dialect client on an OpenAI-wire upstream gets the upstream's own bytes for every frame the gateway
 * would not change (ProviderAdapter.relayChat), and for a non-stream answer the adapter left as it was. The
 * upstream here spells its JSON in ways JSON.stringify would not (`\u00e9`, `1.50`), so a re-encoded frame is
 * told apart from a relayed one. What must still be parsed is: usage (dropped or kept per include_usage),
 * finish reasons (engine aliases), engine nulls; the request log's capture sees the same chunks either way.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SwitchyardConfigInput } from '../../src/config/schema.js';
import { MemoryRequestLogStore } from '../../src/stores/memory/request-log-store.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';

const frame = (payload: string) => `data: ${payload}\n\n`;
const head = '"id":"chatcmpl-relay","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini"';
const content = (text: string, extra = '') =>
  frame(`{${head},"choices":[{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}]${extra},"x_weight":1.50}`);
const finish = (reason: string, extra = '') => frame(`{${head}${extra},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${reason}"}]}`);
const usageJson = '{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}';
const usageFrame = frame(`{${head},"choices":[],"usage":${usageJson}}`);
/** `café` as the upstream spells it; JSON.stringify would write `é`. */
const cafe = 'caf\\u00e9';

interface Scripted {
  url: string;
  server: Server;
  /** What the next request gets: SSE writes (one per network read), or a JSON body. */
  reply: { sse: string[] } | { json: string };
  /** The JSON bodies the upstream received. */
  received: Record<string, unknown>[];
}

async function scriptedUpstream(): Promise<Scripted> {
  const scripted: Scripted = { url: '', server: createServer(), reply: { json: '{}' }, received: [] };
  scripted.server.on('request', (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => (body += piece));
    req.on('end', () => {
      scripted.received.push(JSON.parse(body) as Record<string, unknown>);
      const { reply } = scripted;
      if ('json' in reply) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(reply.json);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const writes = [...reply.sse];
      const next = () => {
        const piece = writes.shift();
        if (piece === undefined) res.end();
        else res.write(piece, () => setTimeout(next, 2));
      };
      next();
    });
  });
  scripted.server.listen(0, '127.0.0.1');
  await once(scripted.server, 'listening');
  scripted.url = `http://127.0.0.1:${(scripted.server.address() as AddressInfo).port}/v1`;
  return scripted;
}

const messages = [{ role: 'user', content: 'Hi' }];

describe('faults: relayed frames and verbatim bodies', () => {
  let upstream: Scripted;
  let gw: RunningGateway;
  let tgi: RunningGateway;
  let logged: RunningGateway;
  const store = new MemoryRequestLogStore();
  const config = (provider: SwitchyardConfigInput['providers'][string]): SwitchyardConfigInput => ({
    resilience: { health_checks: { enabled: false }, retries: { max_attempts: 1 } },
    providers: { up: provider },
    models: { m: { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
  });

  before(async () => {
    upstream = await scriptedUpstream();
    gw = await startTestGateway(config({ type: 'openai', base_url: upstream.url, api_key: 'sk-upstream' }));
    tgi = await startTestGateway(config({ type: 'openai-compatible', engine: 'tgi', base_url: upstream.url }));
    logged = await startTestGateway(
      { ...config({ type: 'openai', base_url: upstream.url, api_key: 'sk-upstream' }), request_log: { bodies: true } },
      { requestLog: { store } },
    );
  });
  after(async () => {
    await gw.close();
    await tgi.close();
    await logged.close();
    await new Promise((resolve) => upstream.server.close(resolve));
  });

  const streamText = async (target: RunningGateway, extra: Record<string, unknown> = {}) => {
    const response = await postJson(`${target.url}/v1/chat/completions`, { model: 'm', stream: true, messages, ...extra });
    assert.equal(response.status, 200);
    return response.text();
  };

  test('a no-quirk upstream: unchanged frames are its bytes; the usage chunk is dropped when not asked for', async () => {
    upstream.reply = { sse: [content(cafe), content(' au lait') + finish('stop'), usageFrame + 'data: [DONE]\n\n'] };
    const text = await streamText(gw);
    assert.equal(
      text,
      content(cafe) +
        content(' au lait') +
        `data: {${head},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n` +
        'data: [DONE]\n\n',
    );
    assert.deepEqual(upstream.received.at(-1)!.stream_options, { include_usage: true }, 'usage is always asked of the upstream');
  });

  test('the usage chunk is kept when the client asked; usage on a content chunk is stripped unless asked', async () => {
    upstream.reply = { sse: [content(cafe, `,"usage":${usageJson}`) + content(' au lait') + finish('stop') + usageFrame + 'data: [DONE]\n\n'] };
    const asked = await streamText(gw, { stream_options: { include_usage: true } });
    const events = asked.split('\n\n').filter((event) => event !== '');
    assert.equal(events.length, 5);
    assert.deepEqual(JSON.parse(events[0]!.slice(6)).usage, JSON.parse(usageJson), 'a parsed frame keeps its usage when asked');
    assert.equal(`${events[1]}\n\n`, content(' au lait'), 'a frame without usage is relayed');
    assert.equal(`${events[3]}\n\n`, usageFrame, 'the usage-only chunk reaches a client that asked');
    assert.equal(events[4], 'data: [DONE]');

    const notAsked = await streamText(gw);
    const quiet = notAsked.split('\n\n').filter((event) => event !== '');
    assert.equal(quiet.length, 4, 'no usage-only chunk');
    assert.equal(`${quiet[1]}\n\n`, content(' au lait'), 'a frame without usage is relayed');
    const first = JSON.parse(quiet[0]!.slice(6)) as { usage?: unknown; choices: { delta: { content: string } }[] };
    assert.equal(first.usage, undefined);
    assert.equal(first.choices[0]!.delta.content, 'café');
  });

  test("OpenAI's null usage on every chunk: relayed, and dropped unless the client asked for usage", async () => {
    const openAI = (text: string) => content(text).replace(',"x_weight":1.50}', ',"usage":null,"obfuscation":"o1"}');
    upstream.reply = { sse: [openAI(cafe), openAI(' au lait') + finish('stop') + usageFrame + 'data: [DONE]\n\n'] };
    const asked = await streamText(gw, { stream_options: { include_usage: true } });
    assert.ok(asked.startsWith(openAI(cafe) + openAI(' au lait')), 'a client that asked for usage gets the frames as they came');
    const notAsked = await streamText(gw);
    const withoutUsage = (text: string) => openAI(text).replace(',"usage":null', '');
    assert.ok(notAsked.startsWith(withoutUsage(cafe) + withoutUsage(' au lait')), 'the null usage is cut out of the bytes');
  });

  test('a quirky engine: aliases and engine nulls are still rewritten, the rest relayed', async () => {
    upstream.reply = { sse: [content(cafe), finish('eos_token', ',"system_fingerprint":null') + 'data: [DONE]\n\n'] };
    const text = await streamText(tgi);
    assert.ok(text.startsWith(content(cafe)), 'an unchanged frame is relayed');
    const events = text.split('\n\n').filter((event) => event !== '');
    const last = JSON.parse(events[1]!.slice(6)) as Record<string, unknown> & { choices: { finish_reason: string }[] };
    assert.equal(last.choices[0]!.finish_reason, 'stop', 'the alias is normalized');
    assert.ok(!('system_fingerprint' in last), "the engine's null is dropped");
  });

  test('with bodies logged, a relayed stream is captured as the chunk stream is (same log body as /v1/messages)', async () => {
    const sse = [content(cafe) + content(' au lait'), finish('stop') + usageFrame + 'data: [DONE]\n\n'];
    upstream.reply = { sse };
    const text = await streamText(logged);
    assert.ok(text.startsWith(content(cafe) + content(' au lait')), 'frames are relayed while capturing too');
    await logged.gateway.requestLog.flush();
    const relayed = (await store.list({ scope: { all: true }, limit: 1 }))[0]!;
    assert.deepEqual(JSON.parse(relayed.responseBody!), {
      object: 'stream',
      choices: [{ index: 0, content: 'café au lait', finish_reason: 'stop' }],
      usage: JSON.parse(usageJson),
      truncated: false,
    });

    upstream.reply = { sse };
    const anthropic = await postJson(`${logged.url}/v1/messages`, { model: 'm', stream: true, max_tokens: 8, messages });
    assert.equal(anthropic.status, 200);
    await anthropic.text();
    await logged.gateway.requestLog.flush();
    const translated = (await store.list({ scope: { all: true }, limit: 1 }))[0]!;
    assert.notEqual(translated.id, relayed.id);
    assert.equal(translated.responseBody, relayed.responseBody);
  });

  test("a non-stream answer the adapter left alone is the upstream's text; a changed one is encoded again", async () => {
    const message = (extra: string) => `{"role":"assistant","content":"${cafe}"${extra}}`;
    const body = (extra: string) =>
      `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":${message(extra)},"logprobs":null,"finish_reason":"stop"}],"usage":${usageJson}}`;
    upstream.reply = { json: body(',"refusal":null') };
    const same = await postJson(`${gw.url}/v1/chat/completions`, { model: 'm', messages });
    assert.equal(same.status, 200);
    assert.equal(await same.text(), body(',"refusal":null'));
    assert.ok(same.headers.get('x-switchyard-cost-usd') !== null, 'cost still comes from the parsed usage');

    upstream.reply = { json: body('') };
    const changed = await postJson(`${gw.url}/v1/chat/completions`, { model: 'm', messages });
    const parsed = (await changed.json()) as { choices: { message: { content: string; refusal: null } }[] };
    assert.equal(parsed.choices[0]!.message.content, 'café');
    assert.equal(parsed.choices[0]!.message.refusal, null, 'the missing refusal was filled in');
  });
});
