/**
 * `POST /v1/messages/count_tokens` answers with an estimate, not a tokenizer's count: the gateway serves many
 * model families with different tokenizers and ships none. Text counts ~4 characters per token (the usual rule
 * of thumb for English), each message adds a few tokens of framing, and each image a flat 1,600 tokens
 * (Anthropic's figure for an image at its size limit) since its pixel size is unknown without decoding it.
 */
import type { ChatMessage, ChatRequest } from '../../core/openai-schema.js';

const charsPerToken = 4;
const tokensPerMessage = 4;
const tokensPerImage = 1600;

function contentChars(message: ChatMessage): { chars: number; images: number } {
  let chars = 0;
  let images = 0;
  const { content } = message;
  if (typeof content === 'string') chars += content.length;
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text') chars += part.text.length;
      else if (part.type === 'image_url') images += 1;
    }
  }
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) chars += call.function.name.length + call.function.arguments.length;
  }
  return { chars, images };
}

export function estimateInputTokens(chat: ChatRequest): number {
  let chars = 0;
  let tokens = 0;
  for (const message of chat.messages) {
    const counted = contentChars(message);
    chars += counted.chars;
    tokens += tokensPerMessage + counted.images * tokensPerImage;
  }
  for (const tool of chat.tools ?? []) chars += JSON.stringify(tool.function).length;
  return tokens + Math.ceil(chars / charsPerToken);
}
