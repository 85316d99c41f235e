/**
 * A protocol-faithful OpenAI upstream on a real loopback `node:http` server: `/v1/chat/completions` (JSON and
 * SSE), `/v1/completions`, `/v1/embeddings`, `/v1/models`, and Azure's
 * `/openai/deployments/{deployment}/{operation}?api-version=…` form. It answers every MockScenario of the shared
 * contract, speaks OpenAI's, vLLM's or TGI's error dialect, and records requests, responses and aborts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asRecord, startMockServer, writePaced, type Json, type MockRequest, type Reply } from './mock-server.js';
import type { MockScenario, MockUpstream, Step } from './mock-upstream.js';
import {
  asVllmCompletion,
  chatChunks,
  chatCompletion,
  completionChunks,
  contextLengthReply,
  embeddingList,
  errorBody,
  modelObject,
  stopReason,
  textCompletion,
  type ChatPlan,
  type OpenAIMockEngine,
} from './openai-wire.js';

export type { OpenAIMockEngine } from './openai-wire.js';

/** The shared scenarios plus OpenAI-dialect ones. */
export type OpenAIMockScenario =
  | MockScenario
  /** Stream: one good delta, then an in-band `data: {"error": …}` event (vLLM, SGLang, TGI), then `[DONE]`. */
  | { kind: 'midstream_error'; message: string };

export interface OpenAIMockOptions {
  /** Error envelopes and finish reasons of this engine (default `openai`). */
  engine?: OpenAIMockEngine;
  /** When set, requests must carry it (`Authorization: Bearer`, or `api-key` on Azure paths), else 401. */
  apiKey?: string;
  /** Models `/v1/models` lists. */
  models?: string[];
}

/** What the mock sent: a JSON body, or the parsed `data:` payloads of a stream (without `[DONE]`). */
export interface RecordedResponse {
  path: string;
  status: number;
  json?: unknown;
  events?: unknown[];
}

export interface OpenAIMock extends MockUpstream {
  /** `http://127.0.0.1:<port>/v1`, the `base_url` of `openai` and `openai-compatible` providers. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`, the `base_url` of `azure-openai` providers. */
  readonly origin: string;
  readonly responses: RecordedResponse[];
  /** Headers added to every later response (e.g. OpenAI's `x-ratelimit-*` quota headers). */
  setResponseHeaders(headers: Record<string, string>): void;
  setScenario(scenario: Step<OpenAIMockScenario>): void;
  script(...steps: Step<OpenAIMockScenario>[]): void;
}

const operations = new Set(['chat/completions', 'completions', 'embeddings']);

/** `/v1/<op>` or `/openai/deployments/<d>/<op>`; Azure needs `api-version` and takes the model from the path. */
function routeOf(url: URL): { operation: string; deployment?: string } | { models: true; id?: string } | null {
  const path = url.pathname;
  if (path === '/v1/models' || path === '/openai/models') return { models: true };
  if (path.startsWith('/v1/models/')) return { models: true, id: decodeURIComponent(path.slice('/v1/models/'.length)) };
  if (path.startsWith('/v1/') && operations.has(path.slice(4))) return { operation: path.slice(4) };
  const azure = /^\/openai\/deployments\/([^/]+)\/(.+)$/.exec(path);
  if (azure && operations.has(azure[2]!) && url.searchParams.has('api-version')) {
    return { operation: azure[2]!, deployment: decodeURIComponent(azure[1]!) };
  }
  return null;
}

function declaresTool(body: Json, name: string): boolean {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools.some((tool) => asRecord(asRecord(tool).function).name === name);
}

function textsOf(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((item) => typeof item === 'number')) return [input.join(' ')];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

export async function startOpenAIMock(options: OpenAIMockOptions = {}): Promise<OpenAIMock> {
  const engine = options.engine ?? 'openai';
  const models = options.models ?? ['gpt-4o-mini', 'text-embedding-3-small'];
  const responses: RecordedResponse[] = [];
  let sequence = 0;
  let extraHeaders: Record<string, string> = {};

  const fail = (status: number, message: string, detail: { param?: string | null; code?: string | null } = {}): Reply => ({
    status,
    body: errorBody(engine, status, message, detail),
  });

  function sendJson(res: ServerResponse, path: string, reply: Reply): void {
    responses.push({ path, status: reply.status, json: reply.body });
    res.writeHead(reply.status, { 'content-type': 'application/json', ...extraHeaders, ...reply.headers }).end(JSON.stringify(reply.body));
  }

  /** Writes SSE frames one by one, as an engine streams tokens; `end` says how the stream stops. */
  async function sendStream(res: ServerResponse, path: string, events: unknown[], end: 'done' | 'cut' | 'hang'): Promise<void> {
    const record: RecordedResponse = { path, status: 200, events: [] };
    responses.push(record);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const encode = (event: unknown) => (typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\n\n`);
    if (!(await writePaced(res, events, encode, (event) => record.events!.push(event)))) return;
    if (end === 'done') res.end('data: [DONE]\n\n');
    // A real truncation: the connection drops mid-body, with no end marker and no terminating chunk.
    else if (end === 'cut') server.cut(res);
    // 'hang': keep the connection open until the client goes away.
  }

  function chatPlan(body: Json, model: string): ChatPlan | Reply {
    const { scenario } = server;
    const base = {
      id: `chatcmpl-mock${++sequence}`,
      model,
      created: Math.floor(Date.now() / 1000),
      n: typeof body.n === 'number' ? body.n : 1,
      logprobs: body.logprobs === true,
    };
    if (scenario.kind === 'tool_call') {
      if (!declaresTool(body, scenario.name)) {
        return fail(400, `Invalid 'tool_choice': no function named '${scenario.name}' was specified in the 'tools' parameter.`, { param: 'tools' });
      }
      const toolCall = { id: `call_mock${sequence}`, name: scenario.name, arguments: JSON.stringify(scenario.arguments) };
      return { ...base, text: null, toolCall, finishReason: 'tool_calls' };
    }
    if (scenario.kind === 'json') {
      const format = asRecord(body.response_format).type;
      if (format !== 'json_object' && format !== 'json_schema') {
        return fail(400, "Invalid 'response_format': expected 'json_object' or 'json_schema' for a JSON answer.", { param: 'response_format' });
      }
      return { ...base, text: JSON.stringify(scenario.value), toolCall: null, finishReason: stopReason(engine) };
    }
    const text = scenario.kind === 'text' ? scenario.text : 'The quick brown fox jumps over the lazy dog.';
    return { ...base, text, toolCall: null, finishReason: stopReason(engine) };
  }

  async function chat(res: ServerResponse, path: string, body: Json, model: string): Promise<void> {
    const { scenario } = server;
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return sendJson(res, path, fail(400, "Missing required parameter: 'messages'.", { param: 'messages' }));
    }
    const stream = body.stream === true;
    if (!stream && body.stream_options != null) {
      return sendJson(res, path, fail(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", { param: 'stream_options' }));
    }
    const plan = chatPlan(body, model);
    if ('status' in plan) return sendJson(res, path, plan);
    if (!stream) {
      if (scenario.kind === 'malformed_stream') {
        responses.push({ path, status: 200 });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "chatcmpl-broken", "choices": [');
        return;
      }
      if (scenario.kind === 'hang_stream') return; // no answer at all until the client gives up
      const completion = chatCompletion(plan);
      return sendJson(res, path, { status: 200, body: engine === 'vllm' ? asVllmCompletion(completion) : completion });
    }
    const includeUsage = asRecord(body.stream_options).include_usage === true;
    switch (scenario.kind) {
      case 'malformed_stream':
        return sendStream(res, path, [...chatChunks(plan, includeUsage, 2), 'data: {"id": "chatcmpl-broken", "choices": [\n\n'], 'cut');
      case 'truncated_stream':
        return sendStream(res, path, chatChunks(plan, includeUsage, 2), 'cut');
      case 'hang_stream':
        return sendStream(res, path, chatChunks(plan, includeUsage, 0), 'hang');
      case 'midstream_error':
        return sendStream(res, path, [...chatChunks(plan, includeUsage, 1), errorBody(engine, 500, scenario.message)], 'done');
      default:
        return sendStream(res, path, chatChunks(plan, includeUsage), 'done');
    }
  }

  async function completions(res: ServerResponse, path: string, body: Json, model: string): Promise<void> {
    const { scenario } = server;
    if (body.prompt === undefined) return sendJson(res, path, fail(400, "Missing required parameter: 'prompt'.", { param: 'prompt' }));
    const text = scenario.kind === 'text' ? scenario.text : scenario.kind === 'json' ? JSON.stringify(scenario.value) : 'Once upon a time.';
    const id = `cmpl-mock${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) return sendJson(res, path, { status: 200, body: textCompletion(id, model, created, text, stopReason(engine)) });
    const includeUsage = asRecord(body.stream_options).include_usage === true;
    const events = completionChunks(id, model, created, text, stopReason(engine), includeUsage);
    if (scenario.kind === 'truncated_stream') return sendStream(res, path, events.slice(0, 1), 'cut');
    if (scenario.kind === 'hang_stream') return sendStream(res, path, events.slice(0, 1), 'hang');
    return sendStream(res, path, events, 'done');
  }

  function embeddings(res: ServerResponse, path: string, body: Json, model: string): void {
    const inputs = textsOf(body.input);
    if (inputs.length === 0) return sendJson(res, path, fail(400, "'input' must be a non-empty string or array.", { param: 'input' }));
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      return sendJson(res, path, fail(400, `Invalid value for 'encoding_format': '${String(format)}'.`, { param: 'encoding_format' }));
    }
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
    sendJson(res, path, { status: 200, body: embeddingList(model, inputs, dimensions, format === 'base64') });
  }

  function authorized(req: IncomingMessage, azure: boolean): boolean {
    if (options.apiKey === undefined) return true;
    if (azure) return req.headers['api-key'] === options.apiKey;
    return req.headers.authorization === `Bearer ${options.apiKey}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, { url, path, body, parseError }: MockRequest): Promise<void> {
    const { scenario } = server;
    const route = routeOf(url);
    const azure = url.pathname.startsWith('/openai/');
    if (!authorized(req, azure)) {
      const reply: Reply = azure
        ? { status: 401, body: { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } } }
        : fail(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
      return sendJson(res, path, reply);
    }
    if (route === null) {
      const reply: Reply = azure ? { status: 404, body: { error: { code: '404', message: 'Resource not found' } } } : fail(404, `Invalid URL (${req.method} ${url.pathname})`);
      return sendJson(res, path, reply);
    }
    if ('models' in route) {
      if (route.id === undefined) return sendJson(res, path, { status: 200, body: { object: 'list', data: models.map(modelObject) } });
      if (models.includes(route.id)) return sendJson(res, path, { status: 200, body: modelObject(route.id) });
      return sendJson(res, path, fail(404, `The model '${route.id}' does not exist`, { param: 'model', code: 'model_not_found' }));
    }
    if (req.method !== 'POST') return sendJson(res, path, fail(405, `Method ${req.method} not allowed.`));
    if (parseError || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendJson(res, path, fail(400, 'We could not parse the JSON body of your request.'));
    }
    const request = body as Json;
    const model = route.deployment ?? request.model;
    if (typeof model !== 'string' || model === '') return sendJson(res, path, fail(400, 'You must provide a model parameter.', { param: 'model' }));

    if (scenario.kind === 'error') {
      if (scenario.contextLength) return sendJson(res, path, contextLengthReply(engine));
      const headers = scenario.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(scenario.retryAfterSeconds) };
      return sendJson(res, path, { ...fail(scenario.status, scenario.message), headers });
    }
    if (route.operation === 'chat/completions') return chat(res, path, request, model);
    if (route.operation === 'completions') return completions(res, path, request, model);
    return embeddings(res, path, request, model);
  }

  const server = await startMockServer<OpenAIMockScenario>({ scenario: { kind: 'text', text: 'Hello from the mock.' }, basePath: '/v1' }, handle);
  return Object.assign(server, {
    responses,
    setResponseHeaders(headers: Record<string, string>) {
      extraHeaders = headers;
    },
  });
}
