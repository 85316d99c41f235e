/** Factories for the three OpenAI-dialect provider types: `openai`, `azure-openai`, `openai-compatible`. */
import type { ProviderAdapter } from '../../core/provider.js';
import { UpstreamHttp, type UpstreamHttpOptions } from '../../core/upstream-http.js';
import { createOpenAIWireAdapter, type OpenAIOperation } from './adapter.js';
import { engineQuirks, type EngineName } from './engines.js';
import { openAIPriceSchedules } from '../../core/prices/openai.js';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export interface OpenAIProviderOptions {
  api_key: string;
  base_url: string;
  organization?: string;
  project?: string;
  headers?: Record<string, string>;
}

export function createOpenAIAdapter(name: string, options: OpenAIProviderOptions, http: UpstreamHttpOptions): ProviderAdapter {
  const base = trimSlash(options.base_url);
  const headers: Record<string, string> = { ...options.headers, authorization: `Bearer ${options.api_key}` };
  if (options.organization) headers['openai-organization'] = options.organization;
  if (options.project) headers['openai-project'] = options.project;
  return createOpenAIWireAdapter({
    name,
    type: 'openai',
    prices: openAIPriceSchedules,
    http: new UpstreamHttp(name, http),
    url: (operation) => `${base}/${operation}`,
    headers,
    quirks: engineQuirks.openai,
    supportsCompletions: true,
  });
}

export interface AzureOpenAIProviderOptions {
  api_key: string;
  base_url: string;
  api_version: string;
  headers?: Record<string, string>;
}

/** Azure routes by deployment in the URL: `{resource}/openai/deployments/{deployment}/{op}?api-version=…`. */
export function createAzureOpenAIAdapter(
  name: string,
  options: AzureOpenAIProviderOptions,
  http: UpstreamHttpOptions,
): ProviderAdapter {
  const base = trimSlash(options.base_url);
  const version = encodeURIComponent(options.api_version);
  const url = (operation: OpenAIOperation, deployment: string) =>
    operation === 'models'
      ? `${base}/openai/models?api-version=${version}`
      : `${base}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${version}`;
  return createOpenAIWireAdapter({
    name,
    type: 'azure-openai',
    // Azure deployments are often named after their model; other names need a `price:` in config.
    prices: openAIPriceSchedules,
    http: new UpstreamHttp(name, http),
    url,
    headers: { ...options.headers, 'api-key': options.api_key },
    quirks: engineQuirks.openai,
    supportsCompletions: true,
  });
}

export interface OpenAICompatibleProviderOptions {
  base_url: string;
  api_key?: string;
  engine: EngineName;
  /** Where the engine's Prometheus metrics are; default: `/metrics` at the base URL's origin path. */
  metrics_url?: string;
  headers?: Record<string, string>;
}

/** vLLM, SGLang, TGI and llama.cpp serve `/metrics` beside `/v1`: `http://host:8000/v1` → `http://host:8000/metrics`. */
export function defaultMetricsUrl(baseUrl: string): string {
  return `${trimSlash(baseUrl).replace(/\/v1$/, '')}/metrics`;
}

export function createOpenAICompatibleAdapter(
  name: string,
  options: OpenAICompatibleProviderOptions,
  http: UpstreamHttpOptions,
): ProviderAdapter {
  const base = trimSlash(options.base_url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.api_key) headers.authorization = `Bearer ${options.api_key}`;
  const adapter = createOpenAIWireAdapter({
    name,
    type: 'openai-compatible',
    http: new UpstreamHttp(name, http),
    url: (operation) => `${base}/${operation}`,
    headers,
    quirks: engineQuirks[options.engine],
    supportsCompletions: true,
  });
  return { ...adapter, metricsUrl: options.metrics_url ?? defaultMetricsUrl(base) };
}
