/**
 * Wire quirks of self-hosted OpenAI-compatible engines (see docs/providers.md). Only request shaping differs;
 * errors and streams share the OpenAI dialect.
 */
export const engineNames = ['vllm', 'sglang', 'tgi', 'trtllm', 'ollama', 'llamacpp', 'lmstudio', 'generic'] as const;

export type EngineName = (typeof engineNames)[number];

export interface EngineQuirks {
  /** The engine only reads `max_tokens`, not `max_completion_tokens`. */
  legacyMaxTokens: boolean;
  /** The engine rejects or ignores `stream_options`; usage then comes from the last chunk if at all. */
  noStreamOptions: boolean;
  /** Finish reasons the engine uses that OpenAI does not. */
  finishReasonAliases: Record<string, 'stop' | 'length' | 'tool_calls' | 'content_filter'>;
}

const openAIQuirks: EngineQuirks = { legacyMaxTokens: false, noStreamOptions: false, finishReasonAliases: {} };

export const engineQuirks: Record<EngineName | 'openai', EngineQuirks> = {
  openai: openAIQuirks,
  generic: { legacyMaxTokens: true, noStreamOptions: false, finishReasonAliases: { eos_token: 'stop', eos: 'stop' } },
  vllm: { legacyMaxTokens: false, noStreamOptions: false, finishReasonAliases: {} },
  sglang: { legacyMaxTokens: false, noStreamOptions: false, finishReasonAliases: {} },
  trtllm: { legacyMaxTokens: true, noStreamOptions: false, finishReasonAliases: {} },
  tgi: { legacyMaxTokens: true, noStreamOptions: false, finishReasonAliases: { eos_token: 'stop', stop_sequence: 'stop' } },
  ollama: { legacyMaxTokens: true, noStreamOptions: false, finishReasonAliases: {} },
  llamacpp: { legacyMaxTokens: true, noStreamOptions: false, finishReasonAliases: {} },
  lmstudio: { legacyMaxTokens: true, noStreamOptions: true, finishReasonAliases: {} },
};
