/**
 * Google AI Studio (v1beta generateContent) wire details for the Gemini mock: request validation as strict as
 * Google's (unknown fields, empty parts, bad roles and unsupported schema keywords are 400 INVALID_ARGUMENT), the
 * error envelope, and response builders.
 */
import { asRecord, type Json } from './mock-server.js';
import { MOCK_USAGE } from './mock-upstream.js';

const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** `{ error: { code, message, status, details? } }`, as every Google API answers a failure. */
export function errorEnvelope(code: number, message: string, details?: Json[]): Json {
  const error: Json = { code, message, status: statusNames[code] ?? 'UNKNOWN' };
  if (details !== undefined) error.details = details;
  return { error };
}

export const apiKeyInvalid = errorEnvelope(400, 'API key not valid. Please pass a valid API key.', [
  { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
]);

export const tokenLimitMessage = 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).';

const unknownName = (name: string, at: string) =>
  `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`;

const requestFields = ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent'];
const generationFields = [
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'candidateCount', 'seed', 'presencePenalty',
  'frequencyPenalty', 'responseLogprobs', 'logprobs', 'responseMimeType', 'responseSchema', 'responseJsonSchema',
  'thinkingConfig', 'responseModalities',
];
const partFields = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'thought', 'thoughtSignature'];
const dataFields = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'];
const schemaFields = [
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
];

function unknownField(value: Json, allowed: string[], at: string): string | null {
  const extra = Object.keys(value).find((key) => !allowed.includes(key));
  return extra === undefined ? null : unknownName(extra, at);
}

/** Gemini's Schema is an OpenAPI subset: JSON-Schema-only keywords are rejected, as is an OBJECT without properties. */
function checkSchema(schema: unknown, at: string, topLevelParameters = false): string | null {
  if (!isRecord(schema)) return `* ${at}: schema must be an object`;
  const unknown = unknownField(schema, schemaFields, at);
  if (unknown !== null) return unknown;
  const properties = schema.properties;
  if (topLevelParameters && String(schema.type).toLowerCase() === 'object' && (!isRecord(properties) || Object.keys(properties).length === 0)) {
    return `* ${at}.properties: should be non-empty for OBJECT type`;
  }
  for (const [name, value] of Object.entries(isRecord(properties) ? properties : {})) {
    const error = checkSchema(value, `${at}.properties[${name}]`);
    if (error !== null) return error;
  }
  if (schema.items !== undefined) {
    const error = checkSchema(schema.items, `${at}.items`);
    if (error !== null) return error;
  }
  for (const [index, item] of (Array.isArray(schema.anyOf) ? schema.anyOf : []).entries()) {
    const error = checkSchema(item, `${at}.any_of[${index}]`);
    if (error !== null) return error;
  }
  return null;
}

function checkPart(part: unknown, at: string): string | null {
  if (!isRecord(part)) return `* ${at}: part must be an object`;
  const unknown = unknownField(part, partFields, at);
  if (unknown !== null) return unknown;
  const set = dataFields.filter((field) => part[field] !== undefined);
  if (set.length !== 1) return `* ${at}: required oneof field 'data' must have one initialized field`;
  if (part.functionCall !== undefined) {
    const call = asRecord(part.functionCall);
    if (typeof call.name !== 'string' || call.name === '') return `* ${at}.function_call.name: Name cannot be empty.`;
    if (call.args !== undefined && !isRecord(call.args)) return `Invalid value at '${at}.function_call.args' (type.googleapis.com/google.protobuf.Struct)`;
  }
  if (part.functionResponse !== undefined) {
    const response = asRecord(part.functionResponse);
    if (typeof response.name !== 'string' || response.name === '') return `* ${at}.function_response.name: Name cannot be empty.`;
    if (!isRecord(response.response)) return `Invalid value at '${at}.function_response.response' (type.googleapis.com/google.protobuf.Struct)`;
  }
  if (part.inlineData !== undefined && typeof asRecord(part.inlineData).mimeType !== 'string') return `* ${at}.inline_data.mime_type: required`;
  if (part.fileData !== undefined && typeof asRecord(part.fileData).fileUri !== 'string') return `* ${at}.file_data.file_uri: required`;
  return null;
}

function checkParts(parts: unknown, at: string): string | null {
  if (!Array.isArray(parts) || parts.length === 0) return `* ${at}: contents.parts must not be empty.`;
  for (const [index, part] of parts.entries()) {
    const error = checkPart(part, `${at}[${index}]`);
    if (error !== null) return error;
  }
  return null;
}

/** Returns Google's 400 message for an invalid GenerateContentRequest, or null when it is acceptable. */
export function checkGenerateRequest(body: Json): string | null {
  const unknown = unknownField(body, requestFields, '');
  if (unknown !== null) return unknown;
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const [index, content] of body.contents.entries()) {
    const role = asRecord(content).role;
    if (role !== 'user' && role !== 'model') return 'Please use a valid role: user, model.';
    const error = checkParts(asRecord(content).parts, `contents[${index}].parts`);
    if (error !== null) return error;
  }
  if (body.systemInstruction !== undefined) {
    const error = checkParts(asRecord(body.systemInstruction).parts, 'system_instruction.parts');
    if (error !== null) return error;
  }
  for (const [index, tool] of (Array.isArray(body.tools) ? body.tools : []).entries()) {
    for (const [position, declaration] of (Array.isArray(asRecord(tool).functionDeclarations) ? (asRecord(tool).functionDeclarations as unknown[]) : []).entries()) {
      const at = `tools[${index}].function_declarations[${position}]`;
      const fields = asRecord(declaration);
      const extra = unknownField(fields, ['name', 'description', 'parameters', 'parametersJsonSchema', 'response'], at);
      if (extra !== null) return extra;
      if (fields.parameters !== undefined) {
        const error = checkSchema(fields.parameters, `${at}.parameters`, true);
        if (error !== null) return error;
      }
    }
  }
  const calling = asRecord(asRecord(body.toolConfig).functionCallingConfig);
  if (body.toolConfig !== undefined) {
    if (!['AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(String(calling.mode))) return `Invalid value at 'tool_config.function_calling_config.mode'`;
    if (calling.allowedFunctionNames !== undefined && calling.mode !== 'ANY') {
      return '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY.';
    }
  }
  const config = asRecord(body.generationConfig);
  const extra = unknownField(config, generationFields, 'generation_config');
  if (extra !== null) return extra;
  if (config.candidateCount !== undefined && (typeof config.candidateCount !== 'number' || config.candidateCount < 1 || config.candidateCount > 8)) {
    return '* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8.';
  }
  if (config.logprobs !== undefined && config.responseLogprobs !== true) {
    return 'logprobs is only allowed when response_logprobs is set to true.';
  }
  if (config.responseSchema !== undefined) return checkSchema(config.responseSchema, 'generation_config.response_schema');
  return null;
}

export function declaresFunction(body: Json, name: string): boolean {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return tools.some((tool) => {
    const declarations = asRecord(tool).functionDeclarations;
    return Array.isArray(declarations) && declarations.some((declaration) => asRecord(declaration).name === name);
  });
}

/** What a candidate says: its parts and how it ends. */
export interface CandidatePlan {
  parts: Json[];
  finishReason: string;
  extra?: Json;
}

/** Cumulative usage the way Google streams it: the prompt count at once, output counts growing. */
export function usageMetadata(outputSoFar: number = MOCK_USAGE.output, thoughts = 0): Json {
  const usage: Json = {
    promptTokenCount: MOCK_USAGE.input,
    candidatesTokenCount: outputSoFar,
    totalTokenCount: MOCK_USAGE.input + outputSoFar + thoughts,
  };
  if (thoughts > 0) usage.thoughtsTokenCount = thoughts;
  return usage;
}

/** Word-level "tokens" with made-up log probabilities, in Google's logprobsResult layout. */
export function logprobsResult(text: string, top: number): Json {
  const tokens = text.match(/\S+\s*/g) ?? [];
  return {
    chosenCandidates: tokens.map((token, step) => ({ token, tokenId: step, logProbability: -0.25 * (step % 4) })),
    topCandidates: tokens.map((token, step) => ({
      candidates: Array.from({ length: top }, (_, rank) => ({
        token: rank === 0 ? token : `${token.trim()}${rank}`,
        tokenId: step * 100 + rank,
        logProbability: -0.25 * (step % 4) - rank,
      })),
    })),
  };
}

/** Deterministic float32-exact vector for a text, so base64 and float answers compare exactly. */
export function embeddingOf(text: string, dimensions: number): number[] {
  let hash = 2166136261;
  for (const char of text) hash = Math.imul(hash ^ char.codePointAt(0)!, 16777619) >>> 0;
  return Array.from({ length: dimensions }, (_, index) => Math.fround((((hash >>> (index % 24)) + index * 7919) % 2000) / 1000 - 1));
}
