/**
 * Runs one parsed chat or completions request on the engine and answers in OpenAI's shapes: a single JSON body,
 * or server-sent events (a role chunk, one chunk per token, a finish chunk, the usage chunk when
 * `stream_options.include_usage` asks for it, then `[DONE]`). A client that disconnects aborts its sequence, which
 * frees its KV blocks at once.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GatewayError, openAIErrorBody } from '../core/errors.js';
import { encodeSSE } from '../core/sse.js';
import type { SimEngine } from './engine.js';
import type { ParsedGeneration } from './openai-requests.js';
import type { FinishReason, Sequence } from './sequence.js';

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

function usageOf(sequence: Sequence): Usage {
  const completion = sequence.numOutputTokens;
  return {
    prompt_tokens: sequence.promptLength,
    completion_tokens: completion,
    total_tokens: sequence.promptLength + completion,
    prompt_tokens_details: { cached_tokens: sequence.cachedPromptTokens },
  };
}

/** The shapes that differ between /v1/chat/completions and /v1/completions. */
function dialect(kind: ParsedGeneration['kind']) {
  return kind === 'chat'
    ? {
        idPrefix: 'chatcmpl-',
        object: 'chat.completion',
        chunkObject: 'chat.completion.chunk',
        firstDelta: (): Record<string, unknown> => ({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }),
        delta: (text: string, finish: string | null) => ({ index: 0, delta: finish === null ? { content: text } : {}, logprobs: null, finish_reason: finish }),
        choice: (text: string, finish: string) => ({ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finish }),
      }
    : {
        idPrefix: 'cmpl-',
        object: 'text_completion',
        chunkObject: 'text_completion',
        firstDelta: undefined,
        delta: (text: string, finish: string | null) => ({ index: 0, text, logprobs: null, finish_reason: finish }),
        choice: (text: string, finish: string) => ({ index: 0, text, logprobs: null, finish_reason: finish }),
      };
}

export function writeError(res: ServerResponse, error: GatewayError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(error.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(openAIErrorBody(error)));
}

/** Runs `request` on `engine`, answering on `res`; resolves when the response is complete or the client left. */
export function serveGeneration(engine: SimEngine, request: ParsedGeneration, res: ServerResponse): Promise<void> {
  const shape = dialect(request.kind);
  const id = `${shape.idPrefix}${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const envelope = (object: string) => ({ id, object, created, model: request.model });
  const texts: string[] = request.echoText === undefined ? [] : [request.echoText];

  return new Promise<void>((resolve) => {
    let sequence: Sequence | undefined;
    const finish = (reason: FinishReason) => {
      if (reason === 'abort' || sequence === undefined) {
        if (!res.writableEnded) writeError(res, new GatewayError('shutting_down', 'the request was aborted: the engine is shutting down'));
        resolve();
        return;
      }
      const usage = usageOf(sequence);
      if (request.stream) {
        res.write(encodeSSE({ ...envelope(shape.chunkObject), choices: [shape.delta('', reason)], ...(request.includeUsage ? { usage: null } : {}) }));
        if (request.includeUsage) res.write(encodeSSE({ ...envelope(shape.chunkObject), choices: [], usage }));
        res.end(encodeSSE('[DONE]'));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...envelope(shape.object), choices: [shape.choice(texts.join(''), reason)], usage }));
      }
      resolve();
    };

    try {
      sequence = engine.submit({
        promptTokens: request.promptTokens,
        maxTokens: request.maxTokens,
        ignoreEos: request.ignoreEos,
        seed: request.seed,
        listener: {
          onToken: (token) => {
            if (!request.stream) {
              texts.push(token.text);
              return;
            }
            const usage = request.includeUsage ? { usage: null } : {};
            res.write(encodeSSE({ ...envelope(shape.chunkObject), choices: [shape.delta(token.text, null)], ...usage }));
          },
          onFinish: finish,
        },
      });
    } catch (error) {
      writeError(res, error instanceof GatewayError ? error : new GatewayError('internal_error', String(error)));
      resolve();
      return;
    }

    if (request.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const usage = request.includeUsage ? { usage: null } : {};
      if (shape.firstDelta) res.write(encodeSSE({ ...envelope(shape.chunkObject), choices: [shape.firstDelta()], ...usage }));
      if (request.echoText !== undefined) res.write(encodeSSE({ ...envelope(shape.chunkObject), choices: [shape.delta(request.echoText, null)], ...usage }));
    }
    const submitted = sequence;
    res.on('close', () => {
      if (!res.writableFinished) {
        engine.abort(submitted);
        resolve();
      }
    });
  });
}
