/**
 * Context windows and output limits of well-known models, and the tokenizer each counts with: the defaults
 * behind `models.<name>.context_window` / `max_output_tokens` (config wins) and the token-budget stage. Names
 * match by longest prefix, so dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`) find their family.
 * Figures are the providers' published limits; `sim-*` are the built-in simulated models.
 */

export interface ModelLimits {
  contextWindow: number;
  maxOutputTokens: number;
}

/** The BPE vocabulary a model's tokens are counted with. Non-OpenAI families use o200k as an approximation. */
export type TokenEncoding = 'o200k_base' | 'cl100k_base';

const limits: readonly [prefix: string, contextWindow: number, maxOutputTokens: number][] = [
  // OpenAI
  ['gpt-5', 400_000, 128_000],
  ['gpt-4.1', 1_047_576, 32_768],
  ['gpt-4o-mini', 128_000, 16_384],
  ['gpt-4o', 128_000, 16_384],
  ['chatgpt-4o', 128_000, 16_384],
  ['gpt-4-turbo', 128_000, 4096],
  ['gpt-4-32k', 32_768, 8192],
  ['gpt-4', 8192, 8192],
  ['gpt-3.5-turbo', 16_385, 4096],
  ['o1-mini', 128_000, 65_536],
  ['o1', 200_000, 100_000],
  ['o3', 200_000, 100_000],
  ['o4-mini', 200_000, 100_000],
  // Anthropic
  ['claude-opus-4', 200_000, 32_000],
  ['claude-sonnet-4', 200_000, 64_000],
  ['claude-haiku-4', 200_000, 64_000],
  ['claude-3-7-sonnet', 200_000, 64_000],
  ['claude-3-5-sonnet', 200_000, 8192],
  ['claude-3-5-haiku', 200_000, 8192],
  ['claude-3-opus', 200_000, 4096],
  ['claude-3-haiku', 200_000, 4096],
  // Google
  ['gemini-2.5', 1_048_576, 65_536],
  ['gemini-2.0', 1_048_576, 8192],
  ['gemini-1.5-pro', 2_097_152, 8192],
  ['gemini-1.5-flash', 1_048_576, 8192],
  // Built-in simulated models (the demo config's).
  ['sim-small', 32_768, 8192],
  ['sim-large', 131_072, 8192],
];

// Longest prefix first, so `gpt-4o-mini` is found before `gpt-4o` and `gpt-4`.
const byPrefix = [...limits].sort((a, b) => b[0].length - a[0].length);

/** The published limits of a model by its (upstream or public) name; undefined for unknown ones. */
export function knownModelLimits(name: string): ModelLimits | undefined {
  const lower = name.toLowerCase();
  // `openai/gpt-4o`, `models/gemini-2.5-pro`: the last path segment names the model.
  const bare = lower.slice(lower.lastIndexOf('/') + 1);
  const found = byPrefix.find(([prefix]) => bare.startsWith(prefix));
  return found === undefined ? undefined : { contextWindow: found[1], maxOutputTokens: found[2] };
}

const cl100kModels = /^(gpt-4(?!o|\.)|gpt-3\.5|text-embedding-(ada|3)|davinci|babbage)/;

/** cl100k for GPT-4 (not 4o/4.1), GPT-3.5 and their embeddings; o200k for gpt-4o, 4.1, o-series, gpt-5 and the rest. */
export function tokenEncodingFor(name: string): TokenEncoding {
  const lower = name.toLowerCase();
  return cl100kModels.test(lower.slice(lower.lastIndexOf('/') + 1)) ? 'cl100k_base' : 'o200k_base';
}
