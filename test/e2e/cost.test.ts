/** Cost per request: the provider's list price or the configured one, turned into `x-switchyard-cost-usd` and metrics. */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { MOCK_USAGE } from '../mocks/mock-upstream.js';
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.js';
import { postJson, startTestGateway, type RunningGateway } from '../helpers/server.js';

const hello = [{ role: 'user', content: 'hi' }];

interface RawStream {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: NodeJS.Dict<string>;
}

/** A streamed chat completion read with a raw node:http client, trailers included (fetch does not expose them). */
function rawStream(base: string, model: string): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ model, messages: hello, stream: true });
    const req = httpRequest(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: res.trailers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('cost accounting', () => {
  let mock: OpenAIMock;
  let gw: RunningGateway;
  before(async () => {
    mock = await startOpenAIMock();
    gw = await startTestGateway({
      resilience: { health_checks: { enabled: false } },
      providers: { openai: { type: 'openai', api_key: 'sk-test', base_url: mock.url }, sim: { type: 'sim', ttft_ms: 0, itl_ms: 0 } },
      models: {
        listed: { deployments: [{ provider: 'openai', model: 'gpt-4o-mini-2024-07-18' }] },
        contracted: { deployments: [{ provider: 'openai', model: 'gpt-4o-mini', price: { input: 1, output: 2, per_request: 0.0001 } }] },
        unpriced: { deployments: [{ provider: 'openai', model: 'my-finetune' }] },
        simulated: { deployments: [{ provider: 'sim', model: 'sim' }] },
      },
    });
  });
  after(async () => {
    await gw.close();
    await mock.close();
  });

  const costOf = async (model: string) => {
    const response = await postJson(`${gw.url}/v1/chat/completions`, { model, messages: hello });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    return response.headers.get('x-switchyard-cost-usd');
  };

  test('the provider list price applies to dated model names', async () => {
    // gpt-4o-mini: $0.15 input and $0.60 output per 1M tokens.
    const expected = (MOCK_USAGE.input * 0.15 + MOCK_USAGE.output * 0.6) / 1e6;
    assert.equal(await costOf('listed'), expected.toFixed(8));
  });

  test('a configured price overrides the list, per-request fee included', async () => {
    const expected = (MOCK_USAGE.input * 1 + MOCK_USAGE.output * 2) / 1e6 + 0.0001;
    assert.equal(await costOf('contracted'), expected.toFixed(8));
  });

  test('an unknown price sends no cost header rather than a wrong one; simulated tokens are free', async () => {
    assert.equal(await costOf('unpriced'), null);
    assert.equal(await costOf('simulated'), '0.00000000');
  });

  test('spend is counted in metrics by model and provider, streams included', async () => {
    const stream = await postJson(`${gw.url}/v1/chat/completions`, { model: 'contracted', messages: hello, stream: true });
    assert.equal(stream.headers.get('x-switchyard-cost-usd'), null, 'a stream knows its usage only at the end');
    await stream.text();
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('switchyard_cost_usd_total{model="contracted",provider="openai"}'));
    assert.ok(line !== undefined, 'the contracted model has a spend line');
    const total = Number(line.split(' ').at(-1));
    // One non-stream request from the test above plus this stream.
    const each = (MOCK_USAGE.input * 1 + MOCK_USAGE.output * 2) / 1e6 + 0.0001;
    assert.ok(Math.abs(total - 2 * each) < 1e-12, `spend ${total} is two requests' worth`);
  });

  test('a stream on the node:http edge sends its cost as an HTTP/1.1 trailer', async () => {
    const streamed = await rawStream(gw.url, 'contracted');
    assert.equal(streamed.status, 200);
    assert.equal(streamed.headers['transfer-encoding'], 'chunked');
    assert.equal(streamed.headers.trailer, 'x-switchyard-cost-usd');
    assert.equal(streamed.headers['x-switchyard-cost-usd'], undefined, 'not a header: the usage comes at the end');
    assert.ok(streamed.body.trimEnd().endsWith('data: [DONE]'), 'the stream itself is whole');
    const expected = (MOCK_USAGE.input * 1 + MOCK_USAGE.output * 2) / 1e6 + 0.0001;
    assert.equal(streamed.trailers['x-switchyard-cost-usd'], expected.toFixed(8));
  });

  test('a stream whose cost is unknown sends no cost trailer', async () => {
    const streamed = await rawStream(gw.url, 'unpriced');
    assert.equal(streamed.status, 200);
    assert.ok(streamed.body.trimEnd().endsWith('data: [DONE]'));
    assert.equal(streamed.trailers['x-switchyard-cost-usd'], undefined);
  });
});
