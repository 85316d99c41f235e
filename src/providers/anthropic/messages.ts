/** Internal chat messages → Anthropic's top-level system blocks and alternating user/assistant turns. */
import { GatewayError } from '../../core/errors.js';
import type { ChatMessage, UserContentPart } from '../../core/openai-schema.js';
import type { AnthropicMessage, ImageBlock, RequestBlock, TextBlock, ToolResultBlock } from './wire.js';

const imageMediaTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Anthropic rejects empty text blocks, so empty strings simply contribute nothing. */
export function textBlocks(text: string): TextBlock[] {
  return text === '' ? [] : [{ type: 'text', text }];
}

/** Anthropic ids must match ^[a-zA-Z0-9_-]+$; ids minted by other providers may not. Same mapping both ways. */
function toolUseId(id: string): string {
  const safe = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return safe === '' ? 'call' : safe;
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', `Tool call arguments must be valid JSON; \`${param}\` is not.`, { param });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError('invalid_request', `Tool call arguments must be a JSON object; \`${param}\` is not.`, { param });
  }
  return value as Record<string, unknown>;
}

/** Splits `data:<media type>[;params];base64,<data>`; undefined when the URL is not a base64 data URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) return undefined;
  const header = url.slice(5, comma).split(';');
  if (header.at(-1) !== 'base64') return undefined;
  return { mediaType: (header[0] ?? '').toLowerCase(), data: url.slice(comma + 1) };
}

function imageBlock(url: string, param: string): ImageBlock {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const inline = parseDataUrl(url);
  if (inline === undefined) {
    throw new GatewayError('invalid_request', 'Images must be an http(s) URL or a base64 `data:` URL for Anthropic.', {
      param,
    });
  }
  if (!imageMediaTypes.has(inline.mediaType)) {
    throw new GatewayError(
      'invalid_request',
      `Anthropic accepts JPEG, PNG, GIF and WebP images; got "${inline.mediaType}".`,
      { param },
    );
  }
  return { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } };
}

function fileBlock(file: { file_data?: string; file_id?: string; filename?: string }, param: string): RequestBlock {
  const inline = file.file_data === undefined ? undefined : parseDataUrl(file.file_data);
  // Raw base64 is accepted when the filename says PDF, as OpenAI's API does.
  const pdf =
    inline?.mediaType === 'application/pdf'
      ? inline.data
      : inline === undefined && file.file_data !== undefined && /\.pdf$/i.test(file.filename ?? '')
        ? file.file_data
        : undefined;
  if (pdf === undefined) {
    throw new GatewayError(
      'unsupported_parameter',
      'Anthropic accepts files only as inline base64 PDF (`file_data`); file ids and other types are not supported.',
      { param },
    );
  }
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } };
}

function userPart(part: UserContentPart, param: string): RequestBlock[] {
  switch (part.type) {
    case 'text':
      return textBlocks(part.text);
    case 'image_url':
      return [imageBlock(part.image_url.url, param)];
    case 'file':
      return [fileBlock(part.file, param)];
    case 'input_audio':
      throw new GatewayError('unsupported_parameter', 'Anthropic models do not accept audio input.', { param });
  }
}

type SystemLike = Extract<ChatMessage, { role: 'system' | 'developer' }>;

function systemBlocks(content: SystemLike['content']): TextBlock[] {
  if (typeof content === 'string') return textBlocks(content);
  return content.flatMap((part): TextBlock[] => {
    if (part.text === '') return [];
    const cache = 'cache_control' in part ? part.cache_control : undefined;
    return [cache ? { type: 'text', text: part.text, cache_control: cache } : { type: 'text', text: part.text }];
  });
}

function toolResult(id: string, content: string | { text: string }[]): ToolResultBlock {
  const blocks = typeof content === 'string' ? content : content.flatMap((part) => textBlocks(part.text));
  return { type: 'tool_result', tool_use_id: toolUseId(id), content: blocks };
}

type AssistantLike = Extract<ChatMessage, { role: 'assistant' }>;

function assistantBlocks(message: AssistantLike, index: number, legacyIds: Map<string, string>): RequestBlock[] {
  const blocks: RequestBlock[] = [];
  const { content } = message;
  if (typeof content === 'string') blocks.push(...textBlocks(content));
  else for (const part of content ?? []) blocks.push(...textBlocks(part.type === 'text' ? part.text : part.refusal));
  (message.tool_calls ?? []).forEach((call, j) => {
    const param = `messages.${index}.tool_calls.${j}.function.arguments`;
    const input = parseArguments(call.function.arguments, param);
    blocks.push({ type: 'tool_use', id: toolUseId(call.id), name: call.function.name, input });
  });
  if (message.function_call) {
    // Legacy function calls carry no id; mint one that the following `function` message can point back to.
    const id = `call_${index}`;
    legacyIds.set(message.function_call.name, id);
    const input = parseArguments(message.function_call.arguments, `messages.${index}.function_call.arguments`);
    blocks.push({ type: 'tool_use', id, name: message.function_call.name, input });
  }
  return blocks;
}

/** Hoists system/developer text to the top level and merges consecutive same-role turns (Anthropic alternates). */
export function translateMessages(messages: ChatMessage[]): { system: TextBlock[]; turns: AnthropicMessage[] } {
  const system: TextBlock[] = [];
  const turns: AnthropicMessage[] = [];
  const legacyIds = new Map<string, string>();
  const push = (role: AnthropicMessage['role'], blocks: RequestBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...systemBlocks(message.content));
        break;
      case 'user':
        push(
          'user',
          typeof message.content === 'string'
            ? textBlocks(message.content)
            : message.content.flatMap((part, j) => userPart(part, `messages.${index}.content.${j}`)),
        );
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, index, legacyIds));
        break;
      case 'tool':
        push('user', [toolResult(message.tool_call_id, message.content)]);
        break;
      case 'function':
        push('user', [toolResult(legacyIds.get(message.name) ?? `call_${message.name}`, message.content ?? '')]);
        break;
    }
  });
  trimFinalAssistantText(turns);
  return { system, turns };
}

/** A prefilled final assistant turn may not end in whitespace (Anthropic 400s); trim it rather than fail. */
function trimFinalAssistantText(turns: AnthropicMessage[]): void {
  const last = turns.at(-1);
  const block = last?.role === 'assistant' ? last.content.at(-1) : undefined;
  if (last === undefined || block?.type !== 'text') return;
  block.text = block.text.trimEnd();
  if (block.text === '') last.content.pop();
  if (last.content.length === 0) turns.pop();
}
