/**
 * OpenAI chat messages → Gemini `contents` + `systemInstruction`. Gemini has two roles (`user`, `model`), one
 * system instruction, and no tool role: tool results are `functionResponse` parts of a user turn, named after
 * the function (not an id), so the name is looked up from the assistant turn that made the call.
 */
import { GatewayError } from '../../core/errors.js';
import type { ChatMessage, UserContentPart } from '../../core/openai-schema.js';
import type { GeminiContent, GeminiPart } from './wire.js';

export interface GeminiConversation {
  systemInstruction?: { parts: GeminiPart[] };
  contents: GeminiContent[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function textOf(content: string | { type: string; text?: string; refusal?: string }[] | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? part.refusal ?? '').join('');
}

const imageTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  pdf: 'application/pdf',
};

/** `data:` URLs become inline bytes; anything else is a URI Gemini fetches itself (File API, GCS, YouTube, web). */
function mediaPart(url: string, param: string): GeminiPart {
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+)?((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(url);
    if (!match) throw new GatewayError('invalid_request', 'Malformed data URL.', { param });
    const mimeType = match[1] ?? 'application/octet-stream';
    const payload = match[4] ?? '';
    const data = match[3] ? payload : Buffer.from(decodeURIComponent(payload)).toString('base64');
    return { inlineData: { mimeType, data } };
  }
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  const mimeType = extension === undefined ? undefined : imageTypes[extension];
  return { fileData: mimeType === undefined ? { fileUri: url } : { mimeType, fileUri: url } };
}

function userParts(content: string | UserContentPart[], param: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, index): GeminiPart => {
    const at = `${param}.${index}`;
    switch (part.type) {
      case 'text':
        return { text: part.text };
      case 'image_url':
        return mediaPart(part.image_url.url, `${at}.image_url.url`);
      case 'input_audio':
        return { inlineData: { mimeType: part.input_audio.format === 'mp3' ? 'audio/mp3' : 'audio/wav', data: part.input_audio.data } };
      case 'file':
        if (part.file.file_data !== undefined) return mediaPart(part.file.file_data, `${at}.file.file_data`);
        // OpenAI file ids mean nothing to Google; only inline file data can be forwarded.
        throw new GatewayError('unsupported_parameter', 'Gemini cannot read OpenAI file ids; send file_data instead.', {
          param: `${at}.file.file_id`,
        });
    }
  });
}

/** Gemini wants arguments as a JSON object (a protobuf Struct), not a string. */
function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', 'Tool call arguments must be valid JSON.', { param });
  }
  if (!isRecord(value)) throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object.', { param });
  return value;
}

/** A tool result that is a JSON object is sent as is; anything else is wrapped, as `response` must be an object. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) return value;
  } catch {
    // Plain text result.
  }
  return { content: text };
}

export function toGeminiConversation(messages: ChatMessage[]): GeminiConversation {
  const system: GeminiPart[] = [];
  const turns: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = turns.at(-1);
    // Gemini expects alternating turns; consecutive same-role messages (parallel tool results, say) become one.
    if (last?.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  };

  messages.forEach((message, index) => {
    const param = `messages.${index}`;
    switch (message.role) {
      case 'system':
      case 'developer':
        // Gemini has one system instruction; every system/developer message contributes to it, in order.
        if (textOf(message.content) !== '') system.push({ text: textOf(message.content) });
        return;
      case 'user':
        push('user', userParts(message.content, `${param}.content`));
        return;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(message.content) || (message.refusal ?? '');
        if (text !== '') parts.push({ text });
        message.tool_calls?.forEach((call, callIndex) => {
          toolNames.set(call.id, call.function.name);
          const args = parseArguments(call.function.arguments, `${param}.tool_calls.${callIndex}.function.arguments`);
          parts.push({ functionCall: { name: call.function.name, args } });
        });
        if (message.function_call) {
          const args = parseArguments(message.function_call.arguments, `${param}.function_call.arguments`);
          parts.push({ functionCall: { name: message.function_call.name, args } });
        }
        push('model', parts);
        return;
      }
      case 'tool': {
        const name = toolNames.get(message.tool_call_id);
        if (name === undefined) {
          throw new GatewayError('invalid_request', `No earlier assistant tool call has id "${message.tool_call_id}".`, {
            param: `${param}.tool_call_id`,
          });
        }
        push('user', [{ functionResponse: { name, response: toolResponse(textOf(message.content)) } }]);
        return;
      }
      case 'function':
        push('user', [{ functionResponse: { name: message.name, response: toolResponse(message.content ?? '') } }]);
        return;
    }
  });

  if (turns.length === 0) {
    throw new GatewayError('invalid_request', 'Gemini needs at least one user or assistant message.', { param: 'messages' });
  }
  return system.length > 0 ? { systemInstruction: { parts: system }, contents: turns } : { contents: turns };
}
