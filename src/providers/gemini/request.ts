/** The internal chat request → Gemini's GenerateContentRequest. */
import type { ChatRequest, Tool, ToolChoice } from '../../core/openai-schema.js';
import { toGeminiConversation } from './messages.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';
import type { GeminiGenerationConfig, GeminiRequest } from './wire.js';

function toolConfigOf(choice: ToolChoice | undefined): GeminiRequest['toolConfig'] {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
}

function toolsOf(tools: Tool[] | undefined): GeminiRequest['tools'] {
  if (tools === undefined || tools.length === 0) return undefined;
  return [
    {
      functionDeclarations: tools.map(({ function: fn }) => {
        const parameters = toGeminiParameters(fn.parameters);
        return {
          name: fn.name,
          ...(fn.description === undefined ? {} : { description: fn.description }),
          ...(parameters === undefined ? {} : { parameters }),
        };
      }),
    },
  ];
}

/**
 * Sampling and output options. Parameters Gemini has no equivalent for (`logit_bias`, `parallel_tool_calls`,
 * `user`, `metadata`) are dropped rather than refused, as OpenAI clients often send them by default.
 */
function generationConfigOf(request: ChatRequest): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null) config.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.n != null) config.candidateCount = request.n;
  if (request.seed != null) config.seed = request.seed;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  if (request.logprobs) {
    config.responseLogprobs = true;
    if (request.top_logprobs) config.logprobs = request.top_logprobs;
  }
  const format = request.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    if (format.json_schema.schema !== undefined) config.responseSchema = toGeminiSchema(format.json_schema.schema);
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

export function toGeminiRequest(request: ChatRequest): GeminiRequest {
  const body: GeminiRequest = toGeminiConversation(request.messages);
  const tools = toolsOf(request.tools);
  if (tools !== undefined) body.tools = tools;
  const toolConfig = tools === undefined ? undefined : toolConfigOf(request.tool_choice);
  if (toolConfig !== undefined) body.toolConfig = toolConfig;
  const generationConfig = generationConfigOf(request);
  if (generationConfig !== undefined) body.generationConfig = generationConfig;
  return body;
}
