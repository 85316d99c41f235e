/**
 * A protocol-faithful Anthropic upstream on a real loopback `node:http` server: `POST /v1/messages` (JSON and
 * SSE) and `GET /v1/models`. Like the real API it checks `x-api-key` and `anthropic-version`, validates every
 * request body against CreateMessageParams from specs/anthropic-openapi.json and enforces the tool_use /
 * tool_result pairing rules; it answers every MockScenario and records requests, responses and aborts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadOpenAPI } from '../helpers/openapi.js';
import { asRecord, startMockServer, writePaced, type Json, type MockRequest } from './mock-server.js';
import type { MockScenario, MockUpstream } from './mock-upstream.js';
import {
  anthropicSpecPath,
  contextLengthMessage,
  defaultUsage,
  encodeFrame,
  errorBody,
  messageObject,
  streamFrames,
  type Frame,
  type MessagePlan,
  type PlannedBlock,
  type StopReason,
  type UsageCounts,
} from './anthropic-wire.js';

/** The shared scenarios plus what only Anthropic does. */
export type AnthropicMockScenario =
  | MockScenario
  /** A text answer with a chosen stop reason and usage (prompt-cache counters included). */
  | { kind: 'message'; text: string; stopReason: StopReason; stopSequence?: string; usage?: Partial<UsageCounts> }
  /** Stream: a good delta, then `event: error` (how Anthropic reports e.g. overload after the headers). */
  | { kind: 'stream_error'; errorType: string; message: string };

export interface AnthropicMockOptions {
  /** When set, requests must carry it as `x-api-key`, else 401 authentication_error. */
  apiKey?: string;
}

export interface RecordedResponse {
  status: number;
  json?: unknown;
  /** The SSE frames sent, in order. */
  frames?: Frame[];
}

export interface AnthropicMock extends MockUpstream {
  /** `http://127.0.0.1:<port>`: Anthropic's `base_url` has no `/v1`. */
  readonly url: string;
  readonly responses: RecordedResponse[];
  setScenario(scenario: AnthropicMockScenario): void;
}

const blocksOf = (message: unknown): Json[] => {
  const content = asRecord(message).content;
  return Array.isArray(content) ? content.map(asRecord) : [];
};

/** The rules the real API enforces beyond the schema, worded as it words them. */
function toolPairingError(body: Json): string | null {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const hasToolBlocks = messages.some((message) => blocksOf(message).some((b) => b.type === 'tool_use' || b.type === 'tool_result'));
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (hasToolBlocks && tools.length === 0) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  for (let i = 0; i < messages.length; i++) {
    const uses = blocksOf(messages[i]).filter((b) => b.type === 'tool_use').map((b) => String(b.id));
    const results = new Set(blocksOf(messages[i + 1]).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)));
    const unanswered = uses.filter((id) => !results.has(id));
    if (i + 1 < messages.length && unanswered.length > 0) {
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    const previous = new Set(blocksOf(messages[i - 1]).filter((b) => b.type === 'tool_use').map((b) => String(b.id)));
    const orphan = blocksOf(messages[i]).find((b) => b.type === 'tool_result' && !previous.has(String(b.tool_use_id)));
    if (orphan) {
      return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(orphan.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
  }
  return null;
}

function systemText(body: Json): string {
  if (typeof body.system === 'string') return body.system;
  return Array.isArray(body.system) ? body.system.map((block) => String(asRecord(block).text ?? '')).join('\n') : '';
}

export async function startAnthropicMock(options: AnthropicMockOptions = {}): Promise<AnthropicMock> {
  const spec = loadOpenAPI(anthropicSpecPath);
  const responses: RecordedResponse[] = [];
  let sequence = 0;
  const id = (prefix: string) => `${prefix}_01Mock${String(++sequence).padStart(18, '0')}`;

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    responses.push({ status, json: body });
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...headers }).end(JSON.stringify(body));
  }

  const fail = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, errorBody(status, message, id('req')), headers);

  /** Writes frames one per tick; `end`: 'close' finishes the body, 'hang' leaves it open until the client goes. */
  async function sendStream(res: ServerResponse, frames: (Frame | string)[], end: 'close' | 'hang'): Promise<void> {
    const record: RecordedResponse = { status: 200, frames: [] };
    responses.push(record);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': id('req') });
    const encode = (frame: Frame | string) => (typeof frame === 'string' ? frame : encodeFrame(frame));
    if (!(await writePaced(res, frames, encode, (frame) => {
      if (typeof frame !== 'string') record.frames!.push(frame);
    }))) return;
    if (end === 'close') res.end();
  }

  /** What the scenario answers, or an error message when the request does not allow that answer. */
  function plan(body: Json): MessagePlan | string {
    const { scenario } = server;
    const base = { id: id('msg'), model: String(body.model), stopSequence: null, usage: defaultUsage };
    const text = (value: string): PlannedBlock[] => [{ type: 'text', text: value }];
    switch (scenario.kind) {
      case 'tool_call': {
        const tools = Array.isArray(body.tools) ? body.tools : [];
        const name = scenario.name;
        if (!tools.some((tool) => asRecord(tool).name === name && asRecord(tool).input_schema !== undefined)) {
          return `tool_choice: tool "${name}" is not defined in \`tools\`.`;
        }
        const blocks: PlannedBlock[] = [
          { type: 'text', text: 'Let me look that up.' },
          { type: 'tool_use', id: id('toolu'), name, input: scenario.arguments },
        ];
        return { ...base, blocks, stopReason: 'tool_use' };
      }
      case 'json':
        // No native JSON mode: the adapter must ask for JSON in the system prompt.
        if (!/\bJSON\b/.test(systemText(body))) return 'mock: the json scenario expects a system prompt asking for JSON.';
        return { ...base, blocks: text(JSON.stringify(scenario.value)), stopReason: 'end_turn' };
      case 'message':
        return {
          ...base,
          blocks: text(scenario.text),
          stopReason: scenario.stopReason,
          stopSequence: scenario.stopSequence ?? null,
          usage: { ...defaultUsage, ...scenario.usage },
        };
      case 'text':
        return { ...base, blocks: text(scenario.text), stopReason: 'end_turn' };
      default:
        return { ...base, blocks: text('The quick brown fox jumps over the lazy dog.'), stopReason: 'end_turn' };
    }
  }

  async function messages(res: ServerResponse, body: Json): Promise<void> {
    const { scenario } = server;
    const schemaErrors = spec.errors('CreateMessageParams', body);
    if (schemaErrors.length > 0) {
      const first = schemaErrors[0]!;
      return fail(res, 400, `${first.instancePath.slice(1).replaceAll('/', '.') || 'body'}: ${first.message ?? 'invalid'}`);
    }
    const pairing = toolPairingError(body);
    if (pairing) return fail(res, 400, pairing);
    if (scenario.kind === 'error') {
      const headers: Record<string, string> = scenario.retryAfterSeconds === undefined ? {} : { 'retry-after': String(scenario.retryAfterSeconds) };
      if (scenario.status === 429 || scenario.status >= 500) headers['x-should-retry'] = 'true';
      return fail(res, scenario.status, scenario.contextLength ? contextLengthMessage : scenario.message, headers);
    }
    const planned = plan(body);
    if (typeof planned === 'string') return fail(res, 400, planned);
    if (body.stream !== true) {
      if (scenario.kind === 'malformed_stream') {
        responses.push({ status: 200 });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "msg_broken", "type": "message", "content": [');
        return;
      }
      if (scenario.kind === 'hang_stream') return; // no answer until the client gives up
      return sendJson(res, 200, messageObject(planned));
    }
    // Frames 0-3: message_start, content_block_start, ping, first text delta.
    const frames = streamFrames(planned);
    switch (scenario.kind) {
      case 'malformed_stream':
        return sendStream(res, [...frames.slice(0, 4), 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n'], 'close');
      case 'truncated_stream':
        return sendStream(res, frames.slice(0, 5), 'close');
      case 'hang_stream':
        return sendStream(res, frames.slice(0, 4), 'hang');
      case 'stream_error': {
        const error: Frame = { event: 'error', data: errorBody(500, scenario.message, id('req'), scenario.errorType) };
        return sendStream(res, [...frames.slice(0, 4), error], 'close');
      }
      default:
        return sendStream(res, frames, 'close');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, { url, body, parseError }: MockRequest): Promise<void> {
    const key = req.headers['x-api-key'];
    if (key === undefined || (options.apiKey !== undefined && key !== options.apiKey)) return fail(res, 401, 'invalid x-api-key');
    if (req.headers['anthropic-version'] === undefined) return fail(res, 400, 'anthropic-version: header is required');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      const model = { type: 'model', id: 'claude-mock-1', display_name: 'Claude Mock', created_at: '2025-01-01T00:00:00Z' };
      return sendJson(res, 200, { data: [model], has_more: false, first_id: model.id, last_id: model.id });
    }
    if (url.pathname !== '/v1/messages') return fail(res, 404, `Not found: ${url.pathname}`);
    if (req.method !== 'POST') return fail(res, 405, `Method ${req.method ?? ''} not allowed.`);
    if (parseError || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return fail(res, 400, 'There was an issue with the format of your request body: not valid JSON.');
    }
    return messages(res, body as Json);
  }

  const server = await startMockServer<AnthropicMockScenario>({ scenario: { kind: 'text', text: 'Hello from the mock.' } }, handle);
  return Object.assign(server, { responses });
}
