/**
 * A protocol-faithful Google AI Studio upstream on a real loopback `node:http` server:
 * `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` (SSE with `?alt=sse`, else a JSON
 * array, as Google does), `:batchEmbedContents`, and `GET /v1beta/models`. The key is checked in `x-goog-api-key`
 * (or `?key=`): a wrong one is Google's 400 API_KEY_INVALID, a missing one 403. It answers every MockScenario of
 * the shared contract plus Gemini-only ones, and records requests and aborted connections.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asRecord, startMockServer, writePaced, type Json, type MockRequest, type Reply } from './mock-server.js';
import { MOCK_USAGE, type MockScenario, type MockUpstream } from './mock-upstream.js';
import {
  apiKeyInvalid,
  checkGenerateRequest,
  declaresFunction,
  embeddingOf,
  errorEnvelope,
  logprobsResult,
  tokenLimitMessage,
  usageMetadata,
  type CandidatePlan,
} from './gemini-wire.js';

/** The shared scenarios plus what only Gemini does. */
export type GeminiMockScenario =
  | MockScenario
  /** The answer starts, then the candidate is stopped with finishReason SAFETY. */
  | { kind: 'safety'; text: string }
  /** The prompt itself is refused: promptFeedback.blockReason and no candidates (HTTP 200). */
  | { kind: 'prompt_blocked'; reason: string }
  /** A thinking model: a thought-summary part, the answer, and thoughtsTokenCount in usage. */
  | { kind: 'thinking'; thought: string; text: string; thoughtsTokens: number }
  /** Stream: one good event, then an in-band `data: {"error": …}` event. */
  | { kind: 'midstream_error'; status: number; message: string };

export interface GeminiMock extends MockUpstream {
  /** `http://127.0.0.1:<port>/v1beta`, the provider's `base_url`. */
  readonly url: string;
  setScenario(scenario: GeminiMockScenario): void;
}

export interface GeminiMockOptions {
  /** The key requests must carry (default `test-gemini-key`). */
  apiKey?: string;
}

const route = /^\/v1beta\/(models\/[^/:]+|tunedModels\/[^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;

const invalid = (message: string): Reply => ({ status: 400, body: errorEnvelope(400, message) });

/** Splits text into `count` consecutive pieces at word boundaries (streams send text in several events). */
function pieces(text: string, count: number): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const size = Math.ceil(words.length / count);
  return Array.from({ length: Math.ceil(words.length / size) }, (_, index) => words.slice(index * size, (index + 1) * size).join(''));
}

export async function startGeminiMock(options: GeminiMockOptions = {}): Promise<GeminiMock> {
  const apiKey = options.apiKey ?? 'test-gemini-key';
  let sequence = 0;

  function sendJson(res: ServerResponse, reply: Reply): void {
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers }).end(JSON.stringify(reply.body));
  }

  /** Google's SSE framing: `data: {...}\r\n\r\n`, no event names, no end marker (the last event has finishReason). */
  async function sendStream(res: ServerResponse, events: unknown[], end: 'end' | 'hang'): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (!(await writePaced(res, events, (event) => (typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\r\n\r\n`)))) return;
    if (end === 'end') res.end();
  }

  /** What each candidate answers under the current scenario, or the 400 Google would give instead. */
  function plan(body: Json): CandidatePlan[] | Reply {
    const { scenario } = server;
    const config = asRecord(body.generationConfig);
    const count = typeof config.candidateCount === 'number' ? config.candidateCount : 1;
    const top = typeof config.logprobs === 'number' ? config.logprobs : 0;
    const textCandidate = (text: string): CandidatePlan => ({
      parts: [{ text }],
      finishReason: 'STOP',
      ...(config.responseLogprobs === true ? { extra: { logprobsResult: logprobsResult(text, top) } } : {}),
    });
    switch (scenario.kind) {
      case 'tool_call': {
        if (!declaresFunction(body, scenario.name)) {
          return invalid(`* GenerateContentRequest.tool_config.function_calling_config: function "${scenario.name}" is not declared in tools.`);
        }
        const call = { parts: [{ functionCall: { name: scenario.name, args: scenario.arguments } }], finishReason: 'STOP' };
        return Array.from({ length: count }, () => call);
      }
      case 'json':
        if (config.responseMimeType !== 'application/json') {
          return invalid('* GenerateContentRequest.generation_config.response_mime_type: JSON output needs "application/json".');
        }
        return Array.from({ length: count }, () => textCandidate(JSON.stringify(scenario.kind === 'json' ? scenario.value : {})));
      case 'safety':
        return [{ parts: [{ text: scenario.text }], finishReason: 'SAFETY', extra: { safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] } }];
      case 'thinking':
        return [{ parts: [{ text: scenario.thought, thought: true }, { text: scenario.text }], finishReason: 'STOP' }];
      default: {
        const text = scenario.kind === 'text' ? scenario.text : 'The quick brown fox jumps over the lazy dog.';
        // Further candidates differ, as samples would, so their order is visible.
        return Array.from({ length: count }, (_, index) => textCandidate(index === 0 ? text : `${text} (sample ${index + 1})`));
      }
    }
  }

  const thoughtsOf = () => (server.scenario.kind === 'thinking' ? server.scenario.thoughtsTokens : 0);

  function response(model: string, candidates: Json[], usage: Json): Json {
    return { candidates, usageMetadata: usage, modelVersion: model.replace(/^models\//, ''), responseId: `mock-${sequence}` };
  }

  function candidateJson(candidate: CandidatePlan, index: number, parts: Json[], finished: boolean): Json {
    return {
      content: { parts, role: 'model' },
      ...(finished ? { finishReason: candidate.finishReason } : {}),
      index,
      ...(finished ? candidate.extra : {}),
    };
  }

  /** The streamed form: text split over three events, function calls whole, finishReason and full usage last. */
  function streamEvents(model: string, candidates: CandidatePlan[]): Json[] {
    const split = candidates.map((candidate) =>
      candidate.parts.flatMap((part) => (typeof part.text === 'string' && part.thought !== true ? pieces(part.text, 3).map((text) => ({ text })) : [part])),
    );
    const length = Math.max(...split.map((parts) => parts.length));
    return Array.from({ length }, (_, step) => {
      const last = step === length - 1;
      const output = last ? MOCK_USAGE.output : step + 1;
      return response(
        model,
        candidates.flatMap((candidate, index) => {
          const part = split[index]![step];
          return part === undefined && !last ? [] : [candidateJson(candidate, index, part === undefined ? [] : [part], last)];
        }),
        usageMetadata(output, thoughtsOf()),
      );
    });
  }

  async function generate(res: ServerResponse, body: Json, model: string, method: string, sse: boolean): Promise<void> {
    const { scenario } = server;
    const problem = checkGenerateRequest(body);
    if (problem !== null) return sendJson(res, invalid(problem));
    sequence += 1;
    if (scenario.kind === 'prompt_blocked') {
      const blocked = { promptFeedback: { blockReason: scenario.reason }, usageMetadata: { promptTokenCount: MOCK_USAGE.input, totalTokenCount: MOCK_USAGE.input }, modelVersion: model };
      return method === 'generateContent' ? sendJson(res, { status: 200, body: blocked }) : sendStream(res, [blocked], 'end');
    }
    const candidates = plan(body);
    if (!Array.isArray(candidates)) return sendJson(res, candidates);
    if (method === 'generateContent') {
      if (scenario.kind === 'malformed_stream') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"candidates": [');
      if (scenario.kind === 'truncated_stream') {
        const whole = JSON.stringify(response(model, candidates.map((candidate, index) => candidateJson(candidate, index, candidate.parts, true)), usageMetadata()));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(whole.slice(0, whole.length / 2));
      }
      if (scenario.kind === 'hang_stream') return; // no answer until the client gives up
      const whole = response(model, candidates.map((candidate, index) => candidateJson(candidate, index, candidate.parts, true)), usageMetadata(MOCK_USAGE.output, thoughtsOf()));
      return sendJson(res, { status: 200, body: whole });
    }
    const events = streamEvents(model, candidates);
    // Without alt=sse Google streams one JSON array of the same responses.
    if (!sse) return sendJson(res, { status: 200, body: events });
    switch (scenario.kind) {
      case 'malformed_stream':
        return sendStream(res, [events[0], 'data: {"candidates": [{"content": \r\n\r\n'], 'end');
      case 'truncated_stream':
        return sendStream(res, events.slice(0, -1), 'end');
      case 'hang_stream':
        return sendStream(res, events.slice(0, 1), 'hang');
      case 'midstream_error':
        return sendStream(res, [events[0], errorEnvelope(scenario.status, scenario.message)], 'end');
      default:
        return sendStream(res, events, 'end');
    }
  }

  function embed(res: ServerResponse, body: Json, model: string): void {
    const items = Array.isArray(body.requests) ? body.requests.map(asRecord) : [];
    if (items.length === 0) return sendJson(res, invalid('* BatchEmbedContentsRequest.requests: requests is not specified'));
    if (items.length > 100) return sendJson(res, invalid('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch'));
    const embeddings: Json[] = [];
    for (const [index, item] of items.entries()) {
      if (item.model !== model) {
        return sendJson(res, invalid(`Model names in batch request must match the model name in request URL (requests[${index}].model).`));
      }
      const parts = asRecord(item.content).parts;
      const text = Array.isArray(parts) ? asRecord(parts[0]).text : undefined;
      if (typeof text !== 'string') return sendJson(res, invalid(`* BatchEmbedContentsRequest.requests[${index}].content.parts: must not be empty.`));
      const dimensions = typeof item.outputDimensionality === 'number' ? item.outputDimensionality : 8;
      embeddings.push({ values: embeddingOf(text, dimensions) });
    }
    sendJson(res, { status: 200, body: { embeddings } });
  }

  function failure(): Reply | null {
    const { scenario } = server;
    if (scenario.kind !== 'error') return null;
    if (scenario.contextLength) return invalid(tokenLimitMessage);
    if (scenario.retryAfterSeconds === undefined) return { status: scenario.status, body: errorEnvelope(scenario.status, scenario.message) };
    const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${scenario.retryAfterSeconds}s` };
    return {
      status: scenario.status,
      body: errorEnvelope(scenario.status, scenario.message, [retryInfo]),
      headers: { 'retry-after': String(scenario.retryAfterSeconds) },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, { url, body, parseError }: MockRequest): Promise<void> {
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key === undefined || key === null) {
      return sendJson(res, { status: 403, body: errorEnvelope(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.') });
    }
    if (key !== apiKey) return sendJson(res, { status: 400, body: apiKeyInvalid });
    if (req.method === 'GET' && url.pathname === '/v1beta/models') {
      return sendJson(res, { status: 200, body: { models: [{ name: 'models/gemini-2.0-flash' }, { name: 'models/text-embedding-004' }] } });
    }
    const match = route.exec(url.pathname);
    if (match === null || req.method !== 'POST') {
      return sendJson(res, { status: 404, body: errorEnvelope(404, `Method not found: ${req.method} ${url.pathname}`) });
    }
    if (parseError || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendJson(res, invalid('Invalid JSON payload received. Unexpected token.'));
    }
    const failed = failure();
    if (failed !== null) return sendJson(res, failed);
    const [, model, method] = match;
    if (method === 'batchEmbedContents') return embed(res, body as Json, model!);
    return generate(res, body as Json, model!, method!, url.searchParams.get('alt') === 'sse');
  }

  const server = await startMockServer<GeminiMockScenario>({ scenario: { kind: 'text', text: 'Hello from the Gemini mock.' }, basePath: '/v1beta' }, handle);
  return server;
}
