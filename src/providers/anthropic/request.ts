/** Internal (OpenAI-shaped) chat request → Anthropic `CreateMessageParams`. */
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest, ResponseFormat, Tool, ToolChoice } from '../../core/openai-schema.js';
import { textBlocks, translateMessages } from './messages.js';
import type { AnthropicRequest, AnthropicTool, AnthropicToolChoice, TextBlock } from './wire.js';

/** Anthropic has no equivalent for these; failing loudly beats silently answering something else. */
function rejectUnsupported(request: ChatRequest): void {
  if ((request.n ?? 1) > 1) {
    throw new GatewayError('invalid_request', 'Anthropic returns one choice per request; `n` must be 1 for this model.', {
      param: 'n',
    });
  }
  if (request.logprobs === true || (request.top_logprobs ?? 0) > 0) {
    throw new GatewayError('unsupported_parameter', 'Anthropic does not return token log probabilities for this model.', {
      param: request.logprobs === true ? 'logprobs' : 'top_logprobs',
    });
  }
  if (request.logit_bias && Object.keys(request.logit_bias).length > 0) {
    throw new GatewayError('unsupported_parameter', 'Anthropic does not support `logit_bias` for this model.', {
      param: 'logit_bias',
    });
  }
  if (request.temperature != null && request.temperature > 1) {
    throw new GatewayError(
      'invalid_request',
      `Anthropic accepts \`temperature\` from 0 to 1 (got ${request.temperature}); rescale it for this model.`,
      { param: 'temperature' },
    );
  }
}

/** Anthropic has no JSON mode for every model, so JSON output is asked for in the system prompt. */
function jsonInstruction(format: ResponseFormat | undefined): string | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  const base = 'Respond with valid JSON only: no prose before or after it and no Markdown code fences.';
  if (format.type === 'json_object') return `${base} The response must be a single JSON object.`;
  const { name, description, schema } = format.json_schema;
  const about = description ? ` (${description})` : '';
  return `${base} The JSON must conform to this JSON Schema, named "${name}"${about}:\n${JSON.stringify(schema ?? {})}`;
}

function systemOf(blocks: TextBlock[], instruction: string | undefined): string | TextBlock[] | undefined {
  const all = instruction === undefined ? blocks : [...blocks, ...textBlocks(instruction)];
  if (all.length === 0) return undefined;
  // Blocks only when needed: `cache_control` can only ride on a block; a plain string is the common form.
  return all.some((block) => block.cache_control) ? all : all.map((block) => block.text).join('\n\n');
}

function toolsOf(tools: Tool[]): AnthropicTool[] {
  return tools.map(({ function: fn }) => ({
    name: fn.name,
    ...(fn.description ? { description: fn.description } : {}),
    input_schema: { type: 'object', ...fn.parameters },
  }));
}

function toolChoiceOf(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...single } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...single };
  if (choice === 'required') return { type: 'any', ...single };
  return { type: 'tool', name: choice.function.name, ...single };
}

/**
 * Parameters with no Anthropic counterpart that only nudge sampling (`seed`, penalties) are dropped, so a
 * request stays portable across fallbacks; ones that change what is returned are rejected in rejectUnsupported.
 */
export function toAnthropicRequest(
  request: ChatRequest,
  model: string,
  defaultMaxTokens: number,
  stream: boolean,
): AnthropicRequest {
  rejectUnsupported(request);
  const { system, turns } = translateMessages(request.messages);
  if (turns.length === 0) {
    throw new GatewayError('invalid_request', 'Anthropic needs at least one user message besides the system prompt.', {
      param: 'messages',
    });
  }
  const body: AnthropicRequest = {
    model,
    messages: turns,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens,
  };
  const systemValue = systemOf(system, jsonInstruction(request.response_format));
  if (systemValue !== undefined) body.system = systemValue;
  const stop = (typeof request.stop === 'string' ? [request.stop] : (request.stop ?? [])).filter((s) => s !== '');
  if (stop.length > 0) body.stop_sequences = stop;
  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.top_p = request.top_p;
  // `top_k` is not OpenAI's, but callers of engines that have it (vLLM, Anthropic) send it as an extra field.
  if (typeof request.top_k === 'number') body.top_k = request.top_k;
  if (request.user) body.metadata = { user_id: request.user };
  if (request.tools && request.tools.length > 0) {
    body.tools = toolsOf(request.tools);
    const choice = toolChoiceOf(request.tool_choice, request.parallel_tool_calls);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (stream) body.stream = true;
  return body;
}
