/**
 * Anthropic Messages request → the internal (OpenAI-shaped) chat request, so any provider can serve it.
 * Features with no faithful translation are refused with a message naming them, never silently dropped.
 */
import { GatewayError } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, Tool, ToolCall, ToolChoice, UserContentPart } from '../../core/openai-schema.js';
import {
  isCustomTool,
  type AnthropicTool,
  type AnthropicToolChoice,
  type ContentBlock,
  type ImageBlock,
  type InputMessage,
  type MessagesRequest,
  type TextBlock,
  type ToolResultBlock,
} from './schema.js';

/** What a tool that failed returned, marked so the model can tell a failure from an ordinary result. */
export const toolErrorPrefix = 'Error: ';

function unsupported(message: string, param: string): GatewayError {
  return new GatewayError('unsupported_parameter', `${param}: ${message}`, { param });
}

function refuseUnsupportedFeatures(request: MessagesRequest): void {
  if (request.thinking !== undefined && request.thinking.type !== 'disabled') {
    throw unsupported('extended thinking is not supported by Switchyard yet; omit `thinking` or set {"type":"disabled"}.', 'thinking');
  }
  for (const field of ['container', 'mcp_servers', 'context_management'] as const) {
    if (request[field] != null) throw unsupported(`\`${field}\` is an Anthropic-hosted feature that Switchyard does not support.`, field);
  }
}

function imageUrl(block: ImageBlock, param: string): UserContentPart {
  const { source } = block;
  if (source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  if (source.type === 'url') return { type: 'image_url', image_url: { url: source.url } };
  throw unsupported('images from the Files API (source type `file`) are not supported; send base64 or url images.', `${param}.source`);
}

function textOf(blocks: readonly TextBlock[]): string {
  return blocks.map((block) => block.text).join('\n');
}

function systemMessage(system: TextBlock[]): ChatMessage | undefined {
  if (system.length === 0) return undefined;
  // A plain string suits every upstream; the block form is kept only to carry prompt-cache breakpoints.
  if (system.every((block) => block.cache_control == null)) return { role: 'system', content: textOf(system) };
  return {
    role: 'system',
    content: system.map((block) => ({
      type: 'text' as const,
      text: block.text,
      ...(block.cache_control == null ? {} : { cache_control: block.cache_control }),
    })),
  };
}

function refuseBlock(block: ContentBlock, param: string): never {
  if (block.type === 'document') {
    throw unsupported('document blocks (PDF, plain-text documents) are not supported by Switchyard yet; send the text as a text block.', param);
  }
  throw unsupported(`\`${block.type}\` blocks are not supported by Switchyard.`, param);
}

/** One tool_result → a tool message (text) plus the images it returned, which tool messages cannot carry. */
function toolResult(block: ToolResultBlock, param: string): { message: ChatMessage; images: UserContentPart[] } {
  const content = block.content ?? [];
  const texts = content.filter((part): part is TextBlock => part.type === 'text');
  const images = content.flatMap((part, i) => (part.type === 'image' ? [imageUrl(part, `${param}.content[${i}]`)] : []));
  const text = textOf(texts);
  return {
    message: { role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `${toolErrorPrefix}${text}` : text },
    images,
  };
}

function userMessages(message: InputMessage, param: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  const toolImages: UserContentPart[] = [];
  const parts: UserContentPart[] = [];
  message.content.forEach((block, i) => {
    const at = `${param}.content[${i}]`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: block.text });
        break;
      case 'image':
        parts.push(imageUrl(block, at));
        break;
      case 'tool_result': {
        const result = toolResult(block, at);
        out.push(result.message);
        if (result.images.length > 0) {
          toolImages.push({ type: 'text', text: `Images returned by tool call ${block.tool_use_id}:` }, ...result.images);
        }
        break;
      }
      case 'tool_use':
        throw unsupported('`tool_use` blocks belong in assistant messages.', at);
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        refuseBlock(block, at);
    }
  });
  const content = [...toolImages, ...parts];
  if (content.length > 0 || out.length === 0) {
    const only = content.length === 1 ? content[0] : undefined;
    out.push({ role: 'user', content: only?.type === 'text' ? only.text : content.length === 0 ? '' : content });
  }
  return out;
}

function assistantMessage(message: InputMessage, param: string): ChatMessage | undefined {
  let text = '';
  const toolCalls: ToolCall[] = [];
  message.content.forEach((block, i) => {
    const at = `${param}.content[${i}]`;
    switch (block.type) {
      case 'text':
        text += block.text;
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input) } });
        break;
      case 'thinking':
      case 'redacted_thinking':
        break;
      case 'image':
      case 'tool_result':
        throw unsupported(`\`${block.type}\` blocks belong in user messages.`, at);
      default:
        refuseBlock(block, at);
    }
  });
  if (text === '' && toolCalls.length === 0) return undefined;
  return { role: 'assistant', content: text === '' ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
}

function toTools(tools: AnthropicTool[]): Tool[] {
  return tools.map((tool, i) => {
    if (!isCustomTool(tool)) {
      throw unsupported(
        `server tool \`${tool.type}\` runs on Anthropic's servers and is not supported by Switchyard; define a custom tool with an input_schema instead.`,
        `tools[${i}]`,
      );
    }
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.input_schema ?? { type: 'object' },
      },
    };
  });
}

function toToolChoice(choice: AnthropicToolChoice): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

export function toChatRequest(request: MessagesRequest): ChatRequest {
  refuseUnsupportedFeatures(request);
  const messages: ChatMessage[] = [];
  const system = systemMessage(request.system ?? []);
  if (system !== undefined) messages.push(system);
  request.messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (message.role === 'user') messages.push(...userMessages(message, param));
    else {
      const assistant = assistantMessage(message, param);
      if (assistant !== undefined) messages.push(assistant);
    }
  });

  const chat: ChatRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stream === true) chat.stream = true;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  // Not an OpenAI parameter; OpenAI-compatible engines (vLLM, SGLang, llama.cpp) honour it as an extra field.
  if (request.top_k !== undefined) chat.top_k = request.top_k;
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (request.metadata?.user_id != null) chat.user = request.metadata.user_id;
  if (request.tools !== undefined && request.tools.length > 0) {
    chat.tools = toTools(request.tools);
    if (request.tool_choice !== undefined) {
      chat.tool_choice = toToolChoice(request.tool_choice);
      if ('disable_parallel_tool_use' in request.tool_choice && request.tool_choice.disable_parallel_tool_use === true) {
        chat.parallel_tool_calls = false;
      }
    }
  }
  const format = request.output_config?.format;
  if (format != null) {
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  }
  return chat;
}
