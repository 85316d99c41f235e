/**
 * Anthropic stream events → internal chunks. Anthropic sends message_start, then per content block
 * content_block_start / content_block_delta… / content_block_stop, then message_delta (stop reason, output
 * usage) and message_stop, with `ping`s anywhere; failures after the headers arrive as `event: error`.
 */
import type { ChatChunk, ChatChunkChoice, FinishReason } from '../../core/openai-types.js';
import type { EventSourceMessage } from 'eventsource-parser';
import { translateSSE } from '../../core/sse.js';
import { malformedStreamError, truncatedStreamError } from '../../core/upstream-errors.js';
import { streamErrorOf } from './errors.js';
import { chatIdOf, finishReasonOf, readUsage, usageOf } from './response.js';
import { asRecord, asString, type AnthropicUsage } from './wire.js';

interface ToolBlock {
  /** Position among the message's tool calls (OpenAI's `tool_calls[].index`), not the content block index. */
  toolIndex: number;
  sentArguments: boolean;
}

/** Anthropic events → a `ChunkStream` of chat chunks, one batch per network read. */
export function readAnthropicStream(provider: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<ChatChunk[]> {
  let id = '';
  let model = '';
  const created = Math.floor(Date.now() / 1000);
  let usage: AnthropicUsage = {};
  let finish: FinishReason = 'stop';
  let started = false;
  const tools = new Map<number, ToolBlock>();

  const chunk = (delta: ChatChunkChoice['delta'], finishReason: FinishReason | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const argumentsChunk = (tool: ToolBlock, text: string) =>
    chunk({ tool_calls: [{ index: tool.toolIndex, function: { arguments: text } }] });

  function event(message: EventSourceMessage, batch: ChatChunk[]): boolean {
    const data = message.data.trim();
    if (data === '') return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw malformedStreamError(provider, `${message.event ?? 'event'} data is not JSON`);
    }
    const event = asRecord(parsed);
    if (event === undefined) throw malformedStreamError(provider, 'data is not an object');
    const type = asString(event.type) ?? message.event;
    if (type === 'error') throw streamErrorOf(provider, event);
    if (type === 'ping') return false;
    if (type === 'message_start') {
      const start = asRecord(event.message);
      id = chatIdOf(asString(start?.id) ?? `msg_${Date.now()}`);
      model = asString(start?.model) ?? '';
      usage = readUsage(start?.usage);
      started = true;
      batch.push(chunk({ role: 'assistant', content: '' }));
      return false;
    }
    if (!started) throw malformedStreamError(provider, `${type ?? 'an event'} arrived before message_start`);
    const index = typeof event.index === 'number' ? event.index : -1;

    if (type === 'content_block_start') {
      const block = asRecord(event.content_block);
      if (block?.type === 'text' && asString(block.text)) batch.push(chunk({ content: asString(block.text) }));
      if (block?.type === 'tool_use') {
        const tool: ToolBlock = { toolIndex: tools.size, sentArguments: false };
        tools.set(index, tool);
        batch.push(
          chunk({
            tool_calls: [
              {
                index: tool.toolIndex,
                id: asString(block.id) ?? `call_${tool.toolIndex}`,
                type: 'function',
                function: { name: asString(block.name) ?? '', arguments: '' },
              },
            ],
          }),
        );
        // The input normally streams as input_json_delta; a start block that already carries it is kept.
        const input = asRecord(block.input);
        if (input !== undefined && Object.keys(input).length > 0) {
          tool.sentArguments = true;
          batch.push(argumentsChunk(tool, JSON.stringify(input)));
        }
      }
    } else if (type === 'content_block_delta') {
      const delta = asRecord(event.delta);
      const tool = tools.get(index);
      if (delta?.type === 'text_delta' && asString(delta.text)) batch.push(chunk({ content: asString(delta.text) }));
      if (delta?.type === 'input_json_delta' && tool !== undefined && asString(delta.partial_json)) {
        tool.sentArguments = true;
        batch.push(argumentsChunk(tool, asString(delta.partial_json) ?? ''));
      }
      // thinking_delta, signature_delta and citations_delta have no counterpart in the chat chunk shape.
    } else if (type === 'content_block_stop') {
      const tool = tools.get(index);
      // A tool without arguments streams no JSON at all; clients JSON.parse arguments, so send an empty object.
      if (tool !== undefined && !tool.sentArguments) batch.push(argumentsChunk(tool, '{}'));
    } else if (type === 'message_delta') {
      const stopReason = asString(asRecord(event.delta)?.stop_reason);
      if (stopReason !== undefined) finish = finishReasonOf(stopReason);
      // message_delta counts are cumulative; they replace what message_start said.
      usage = { ...usage, ...readUsage(event.usage) };
    } else if (type === 'message_stop') {
      batch.push(chunk({}, finish));
      batch.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(usage) });
      return true;
    }
    // Other event types are ignored: Anthropic's versioning policy allows new ones to appear.
    return false;
  }

  return translateSSE(body, {
    event,
    end() {
      throw truncatedStreamError(provider);
    },
  });
}
