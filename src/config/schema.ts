/** The `switchyard.yaml` contract (DESIGN.md §13). Also emitted as JSON Schema for editors (`npm run schema`). */
import { z } from 'zod';
import { engineNames } from '../providers/openai/engines.js';
import {
  conditionalFallbacksSchema,
  degradedResponseSchema,
  deploymentLimitsFields,
  resilienceSchema,
  routingStrategySchema,
} from './resilience-schema.js';
import { limitsConfigSchema } from './limits-schema.js';
import { engineAwareSchema } from './engine-aware-schema.js';
import { alertsConfigSchema, budgetsConfigSchema, pricesConfigSchema } from './money-schema.js';
import { storeSchema } from './store-schema.js';
import { sharedStateConfigSchema } from './shared-state-schema.js';
import { requestLogConfigSchema } from './request-log-schema.js';
import { contextOverflowSchema } from './token-budget-schema.js';

const positiveMs = z.number().int().positive();

const upstreamHttpFields = {
  /** Extra static headers sent upstream on every request. */
  headers: z.record(z.string(), z.string()).optional(),
  connect_timeout_ms: positiveMs.optional(),
  first_byte_timeout_ms: positiveMs.optional(),
  idle_timeout_ms: positiveMs.optional(),
  max_connections: z.number().int().min(1).max(10_000).optional(),
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const openAIProviderSchema = z.strictObject({
  type: z.literal('openai'),
  api_key: z.string().min(1),
  base_url: httpUrl.default('https://api.openai.com/v1'),
  organization: z.string().optional(),
  project: z.string().optional(),
  ...upstreamHttpFields,
});

export const azureOpenAIProviderSchema = z.strictObject({
  type: z.literal('azure-openai'),
  api_key: z.string().min(1),
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com`. Deployments are the models' `model`. */
  base_url: httpUrl,
  api_version: z.string().min(1).default('2024-10-21'),
  ...upstreamHttpFields,
});

export const anthropicProviderSchema = z.strictObject({
  type: z.literal('anthropic'),
  api_key: z.string().min(1),
  base_url: httpUrl.default('https://api.anthropic.com'),
  anthropic_version: z.string().default('2023-06-01'),
  /** Default `max_tokens` when the caller sets none (Anthropic requires one). */
  default_max_tokens: z.number().int().positive().default(4096),
  ...upstreamHttpFields,
});

export const geminiProviderSchema = z.strictObject({
  type: z.literal('gemini'),
  api_key: z.string().min(1),
  base_url: httpUrl.default('https://generativelanguage.googleapis.com/v1beta'),
  ...upstreamHttpFields,
});


export const openAICompatibleProviderSchema = z.strictObject({
  type: z.literal('openai-compatible'),
  base_url: httpUrl,
  api_key: z.string().optional(),
  /** Which engine serves it: selects small wire quirks (see docs/providers.md) and its metrics names. */
  engine: z.enum(engineNames).default('generic'),
  metrics_url: httpUrl.optional(),
  ...upstreamHttpFields,
});

export const simProviderSchema = z.strictObject({
  type: z.literal('sim'),
  /** Time to first token, ms. */
  ttft_ms: z.number().min(0).default(20),
  /** Inter-token latency, ms (0 = emit as fast as possible). */
  itl_ms: z.number().min(0).default(5),
  /** Default completion length in tokens when the request sets no max. */
  default_max_tokens: z.number().int().positive().default(64),
  context_window: z.number().int().positive().default(32768),
  embedding_dimensions: z.number().int().positive().default(256),
});

export const providerSchema = z.discriminatedUnion('type', [
  openAIProviderSchema,
  azureOpenAIProviderSchema,
  anthropicProviderSchema,
  geminiProviderSchema,
  openAICompatibleProviderSchema,
  simProviderSchema,
]);

const modelName = z.string().min(1).max(256);

export const deploymentSchema = z.strictObject({
  provider: z.string().min(1),
  /** The name the upstream knows the model by. */
  model: z.string().min(1),
  weight: z.number().min(0).default(1),
  /** Prometheus endpoint of the engine behind it, for `routing: engine_aware` (default: the provider's). */
  metrics_url: httpUrl.optional(),
  ...deploymentLimitsFields,
  /** What this deployment's tokens cost, USD per 1M tokens; overrides the provider's list price. */
  price: z
    .strictObject({
      input: z.number().min(0),
      output: z.number().min(0),
      cached_input: z.number().min(0).optional(),
      cache_write: z.number().min(0).optional(),
      per_request: z.number().min(0).optional(),
    })
    .optional(),
});

export const modelSchema = z.strictObject({
  deployments: z.array(deploymentSchema).min(1),
  /** Public models (or aliases) tried, in order, when every deployment of this one failed. */
  fallbacks: z.array(modelName).default([]),
  context_window: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  /** What to do with a request that would not fit `context_window` (docs/token-budgets.md); default reject. */
  context_overflow: contextOverflowSchema.optional(),
  /** What the model is for; `/v1/embeddings` only routes to embedding models, chat endpoints to the others. */
  kind: z.enum(['chat', 'embedding']).default('chat'),
  owned_by: z.string().optional(),
  /** How a deployment is picked among this model's deployments. */
  routing: routingStrategySchema.default('weighted'),
  /** Settings of `routing: engine_aware`: metrics scraping, prefix affinity, saturation limits. */
  engine_aware: engineAwareSchema.prefault({}),
  fallbacks_on: conditionalFallbacksSchema.prefault({}),
  degraded_response: degradedResponseSchema.optional(),
});

export const aliasSchema = z.strictObject({
  targets: z
    .array(z.strictObject({ model: modelName, weight: z.number().min(0).default(1) }))
    .min(1),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(8400),
        host: z.string().default('0.0.0.0'),
        max_body_bytes: z.number().int().positive().default(10 * 1024 * 1024),
        /** Longest a client may take to send its request body (slow uploads hold a connection and memory). */
        body_timeout_ms: positiveMs.default(30_000),
        /** Overall limit for one request, including streaming. */
        request_timeout_ms: positiveMs.default(600_000),
        /** How long shutdown waits for in-flight requests and streams to finish. */
        shutdown_grace_ms: positiveMs.default(30_000),
      })
      .prefault({}),
    auth: z
      .strictObject({
        /** Admin key; with no master key and no tenant keys the gateway runs open (demo mode). */
        master_key: z.string().min(8, 'must be at least 8 characters').optional(),
        /** Secret mixed into every virtual key's stored hash (default: SWITCHYARD_KEY_PEPPER; see docs/stores.md). */
        key_pepper: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .prefault({}),
    providers: z.record(z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'provider names use a-z, 0-9, _ . -'), providerSchema),
    models: z.record(modelName, modelSchema),
    aliases: z.record(modelName, aliasSchema).default({}),
    resilience: resilienceSchema.prefault({}),
    store: storeSchema.prefault({}),
    limits: limitsConfigSchema.prefault({}),
    /** Circuit breakers and kill switches shared across replicas (docs/resilience.md). */
    shared_state: sharedStateConfigSchema.prefault({}),
    request_log: requestLogConfigSchema.prefault({}),
    /** Dated prices by upstream model, overriding the shipped list prices (docs/budgets.md). */
    prices: pricesConfigSchema.default([]),
    budgets: budgetsConfigSchema.prefault({}),
    alerts: alertsConfigSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [name, model] of Object.entries(config.models)) {
      model.deployments.forEach((deployment, index) => {
        if (!(deployment.provider in config.providers)) {
          ctx.addIssue({
            code: 'custom',
            path: ['models', name, 'deployments', index, 'provider'],
            message: `unknown provider "${deployment.provider}" (defined: ${Object.keys(config.providers).join(', ') || 'none'})`,
          });
        }
      });
      const checkFallbacks = (targets: string[], path: (string | number)[]) =>
        targets.forEach((fallback, index) => {
          if (!(fallback in config.models) && !(fallback in config.aliases)) {
            ctx.addIssue({ code: 'custom', path: [...path, index], message: `unknown model or alias "${fallback}"` });
          }
        });
      checkFallbacks(model.fallbacks, ['models', name, 'fallbacks']);
      const summarizer = model.context_overflow?.summarize_with;
      if (summarizer !== undefined) checkFallbacks([summarizer], ['models', name, 'context_overflow', 'summarize_with']);
      for (const [kind, targets] of Object.entries(model.fallbacks_on)) {
        checkFallbacks(targets, ['models', name, 'fallbacks_on', kind]);
      }
    }
    for (const [name, alias] of Object.entries(config.aliases)) {
      if (name in config.models) {
        ctx.addIssue({ code: 'custom', path: ['aliases', name], message: `"${name}" is already a model name` });
      }
      alias.targets.forEach((target, index) => {
        if (!(target.model in config.models)) {
          ctx.addIssue({
            code: 'custom',
            path: ['aliases', name, 'targets', index, 'model'],
            message: `unknown model "${target.model}"`,
          });
        }
      });
    }
  });

/** The config as written (defaults optional): what `defineConfig()` accepts. */
export type SwitchyardConfigInput = z.input<typeof configSchema>;
/** The config after validation and defaults. */
export type SwitchyardConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type DeploymentConfig = z.output<typeof deploymentSchema>;
