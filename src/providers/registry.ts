/** Builds adapters from provider config: a lookup table by type, so nothing else needs to know the types. */
import type { ProviderAdapter } from '../core/provider.js';
import { defaultUpstreamHttpOptions, type UpstreamHttpOptions } from '../core/upstream-http.js';
import type { ProviderConfig } from '../config/schema.js';
import { createAnthropicAdapter } from './anthropic/index.js';
import { createAzureOpenAIAdapter, createOpenAIAdapter, createOpenAICompatibleAdapter } from './openai/index.js';
import { createSimAdapter } from './sim/adapter.js';
import { createGeminiAdapter } from './gemini/index.js';

type Factory<T extends ProviderConfig['type']> = (
  name: string,
  config: Extract<ProviderConfig, { type: T }>,
  http: UpstreamHttpOptions,
) => ProviderAdapter;

type FactoryTable = { [T in ProviderConfig['type']]?: Factory<T> };

const factories: FactoryTable = {
  openai: createOpenAIAdapter,
  'azure-openai': createAzureOpenAIAdapter,
  'openai-compatible': createOpenAICompatibleAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
  sim: createSimAdapter,
};

function httpOptionsOf(config: ProviderConfig): UpstreamHttpOptions {
  if (config.type === 'sim') return defaultUpstreamHttpOptions;
  return {
    connectTimeoutMs: config.connect_timeout_ms ?? defaultUpstreamHttpOptions.connectTimeoutMs,
    firstByteTimeoutMs: config.first_byte_timeout_ms ?? defaultUpstreamHttpOptions.firstByteTimeoutMs,
    idleTimeoutMs: config.idle_timeout_ms ?? defaultUpstreamHttpOptions.idleTimeoutMs,
    maxConnections: config.max_connections ?? defaultUpstreamHttpOptions.maxConnections,
  };
}

export function createProviderAdapter(name: string, config: ProviderConfig): ProviderAdapter {
  const factory = factories[config.type] as Factory<typeof config.type> | undefined;
  if (factory === undefined) throw new Error(`provider type "${config.type}" has no adapter`);
  return factory(name, config, httpOptionsOf(config));
}
