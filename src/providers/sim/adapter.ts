/**
 * `sim`: an in-process simulated model with OpenAI semantics (text, tools, JSON modes, logprobs, n, stop,
 * streaming with usage, embeddings) and configurable latency. It lets the gateway run with no keys and no GPU.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderAdapter, UpstreamCall } from '../../core/provider.js';
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from '../../core/openai-schema.js';
import type {
  ChatChunk,
  ChatResponse,
  ChoiceLogprobs,
  CompletionResponse,
  EmbeddingResponse,
  Usage,
} from '../../core/openai-types.js';
import { GatewayError } from '../../core/errors.js';
import { freePrice } from '../../core/pricing.js';
import { PriceSchedule } from '../../core/price-schedule.js';
import { createRandom, embedText, estimateTokens, generateTokens, hashString } from './generate.js';
import { completionTokens, planChat, promptTokens, type PlannedChoice } from './plan.js';

export interface SimOptions {
  ttft_ms: number;
  itl_ms: number;
  default_max_tokens: number;
  context_window: number;
  embedding_dimensions: number;
}

function logprobsFor(tokens: string[], topCount: number, seed: number): ChoiceLogprobs {
  const random = createRandom(seed);
  return {
    content: tokens.map((token) => {
      const logprob = -Math.round(random() * 200) / 100;
      return {
        token,
        logprob,
        bytes: [...Buffer.from(token)],
        top_logprobs: Array.from({ length: topCount }, (_, rank) => {
          const alternative = rank === 0 ? token : `${token}${rank}`;
          return { token: alternative, logprob: logprob - rank, bytes: [...Buffer.from(alternative)] };
        }),
      };
    }),
    refusal: null,
  };
}

function usageOf(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Prompt/input unions (text, texts, one token array, token arrays) as one text per item. */
function inputTexts(input: string | string[] | number[] | number[][]): string[] {
  if (typeof input === 'string') return [input];
  if (input.every((item): item is number => typeof item === 'number')) return [input.join(' ')];
  return (input as (string | number[])[]).map((item) => (typeof item === 'string' ? item : item.join(' ')));
}

function float32Base64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

const simulatedPrice = PriceSchedule.always(freePrice);

export function createSimAdapter(name: string, options: SimOptions): ProviderAdapter {
  const wait = async (ms: number, signal: AbortSignal) => {
    if (ms > 0) await sleep(ms, undefined, { signal });
    else signal.throwIfAborted();
  };

  function admit(prompt: number, requestedOutput: number | null | undefined): void {
    if (prompt + (requestedOutput ?? 0) > options.context_window) {
      throw new GatewayError(
        'context_length_exceeded',
        `This model's maximum context length is ${options.context_window} tokens, but the request needs ${prompt + (requestedOutput ?? 0)}.`,
        { param: 'messages', upstreamStatus: 400 },
      );
    }
  }

  function plan(request: ChatRequest) {
    const prompt = promptTokens(request);
    admit(prompt, request.max_completion_tokens ?? request.max_tokens);
    return { prompt, choices: planChat(request, options.default_max_tokens) };
  }

  const idFor = (seed: string) => `chatcmpl-sim${hashString(seed).toString(36)}${Date.now().toString(36)}`;
  const seedOf = (request: ChatRequest) => JSON.stringify(request.messages) + String(request.seed ?? '');

  function toMessage(choice: PlannedChoice) {
    return {
      role: 'assistant' as const,
      content: choice.toolCalls.length > 0 ? null : choice.tokens.join(''),
      refusal: null,
      ...(choice.toolCalls.length > 0
        ? {
            tool_calls: choice.toolCalls.map((call) => ({
              id: call.id,
              type: 'function' as const,
              function: { name: call.name, arguments: call.arguments },
            })),
          }
        : {}),
    };
  }

  return {
    name,
    type: 'sim',
    // Simulated tokens cost nothing.
    priceOf: () => simulatedPrice,

    async chat(request, call: UpstreamCall): Promise<ChatResponse> {
      const { prompt, choices } = plan(request);
      const longest = Math.max(...choices.map((choice) => choice.tokens.length));
      await wait(options.ttft_ms + options.itl_ms * Math.max(0, longest - 1), call.signal);
      return {
        id: idFor(seedOf(request)),
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: call.model,
        choices: choices.map((choice, index) => ({
          index,
          message: toMessage(choice),
          finish_reason: choice.finishReason,
          logprobs: request.logprobs
            ? logprobsFor(choice.tokens, request.top_logprobs ?? 0, hashString(seedOf(request), index))
            : null,
        })),
        usage: usageOf(prompt, completionTokens(choices)),
        system_fingerprint: 'fp_switchyard_sim',
      };
    },

    /** One batch per simulated step: the chunks a real engine would flush together. */
    async *streamChat(request, call: UpstreamCall): AsyncGenerator<ChatChunk[]> {
      const { prompt, choices } = plan(request);
      const base = {
        id: idFor(seedOf(request)),
        object: 'chat.completion.chunk' as const,
        created: Math.floor(Date.now() / 1000),
        model: call.model,
        system_fingerprint: 'fp_switchyard_sim',
      };
      await wait(options.ttft_ms, call.signal);
      yield choices.map((_, index) => ({ ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
      const longest = Math.max(...choices.map((choice) => Math.max(choice.tokens.length, choice.toolCalls.length)));
      for (let step = 0; step < longest; step++) {
        if (step > 0) await wait(options.itl_ms, call.signal);
        const batch: ChatChunk[] = [];
        for (const [index, choice] of choices.entries()) {
          const call = choice.toolCalls[step];
          if (call !== undefined) {
            batch.push({
              ...base,
              choices: [
                {
                  index,
                  delta: { tool_calls: [{ index: step, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
                  finish_reason: null,
                },
              ],
            });
          }
          const token = choice.tokens[step];
          if (token === undefined) continue;
          batch.push({
            ...base,
            choices: [
              {
                index,
                delta: { content: token },
                finish_reason: null,
                ...(request.logprobs
                  ? { logprobs: logprobsFor([token], request.top_logprobs ?? 0, hashString(seedOf(request) + step, index)) }
                  : {}),
              },
            ],
          });
        }
        if (batch.length > 0) yield batch;
      }
      yield [
        ...choices.map((choice, index): ChatChunk => ({ ...base, choices: [{ index, delta: {}, finish_reason: choice.finishReason }] })),
        { ...base, choices: [], usage: usageOf(prompt, completionTokens(choices)) },
      ];
    },

    async completions(request: CompletionRequest, call: UpstreamCall): Promise<CompletionResponse> {
      const prompts = inputTexts(request.prompt);
      const limit = request.max_tokens ?? 16;
      let prompt = 0;
      let completion = 0;
      const choices = prompts.flatMap((text, promptIndex) => {
        prompt += estimateTokens(text);
        admit(estimateTokens(text), limit);
        return Array.from({ length: request.n ?? 1 }, (_, n) => {
          const tokens = generateTokens(createRandom(hashString(text + String(request.seed ?? ''), n + 1)), limit);
          completion += tokens.length;
          return {
            index: promptIndex * (request.n ?? 1) + n,
            text: (request.echo ? text : '') + tokens.join(''),
            finish_reason: 'length' as const,
            logprobs: null,
          };
        });
      });
      await wait(options.ttft_ms + options.itl_ms * Math.max(0, limit - 1), call.signal);
      return {
        id: `cmpl-sim${Date.now().toString(36)}`,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model: call.model,
        choices,
        usage: usageOf(prompt, completion),
      };
    },

    async *streamCompletions(request: CompletionRequest, call: UpstreamCall): AsyncGenerator<CompletionResponse[]> {
      const whole = await this.completions!({ ...request, stream: false }, { ...call, signal: call.signal });
      const base = { id: whole.id, object: 'text_completion' as const, created: whole.created, model: whole.model };
      yield [
        ...whole.choices.flatMap((choice): CompletionResponse[] => [
          { ...base, choices: [{ index: choice.index, text: choice.text, finish_reason: null, logprobs: null }] },
          { ...base, choices: [{ index: choice.index, text: '', finish_reason: choice.finish_reason, logprobs: null }] },
        ]),
        { ...base, choices: [], usage: whole.usage },
      ];
    },

    async embeddings(request: EmbeddingRequest, call: UpstreamCall): Promise<EmbeddingResponse> {
      const inputs = inputTexts(request.input);
      const dimensions = request.dimensions ?? options.embedding_dimensions;
      await wait(Math.min(options.ttft_ms, 5), call.signal);
      let tokens = 0;
      return {
        object: 'list',
        model: call.model,
        data: inputs.map((text, index) => {
          tokens += estimateTokens(text);
          const vector = embedText(text, dimensions);
          return { object: 'embedding', index, embedding: request.encoding_format === 'base64' ? float32Base64(vector) : vector };
        }),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },

    async checkHealth() {},
  };
}
