/**
 * The Anthropic Messages request (`POST /v1/messages`), validated at the edge. The schema accepts what Anthropic
 * accepts; what Switchyard cannot translate (documents, server tools, extended thinking) passes the schema and is
 * rejected by the translator with a message naming the feature, rather than a generic "invalid input".
 */
import { z } from 'zod';

const cacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();

/** Anthropic allows a plain string wherever a list of blocks is expected; one shape makes translation simpler. */
function blocks<T extends z.ZodType>(block: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? [{ type: 'text', text: value }] : value),
    z.array(block, {
      error: (issue) => (issue.input === undefined ? undefined : 'must be a string or an array of content blocks'),
    }),
  );
}

/** A discriminated union whose unknown `type` gets a message listing the types it knows. */
function blockUnion<const T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  what: string,
  options: T,
) {
  return z.discriminatedUnion('type', options, {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const type: unknown = typeof issue.input === 'object' && issue.input !== null && 'type' in issue.input ? issue.input.type : undefined;
      return type === undefined ? `missing ${what} type` : `unknown ${what} type ${JSON.stringify(type)}`;
    },
  });
}

export const textBlockSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControl,
  citations: z.array(z.unknown()).nullish(),
});

const imageMediaType = z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export const imageBlockSchema = z.object({
  type: z.literal('image'),
  source: blockUnion('image source', [
    z.object({ type: z.literal('base64'), media_type: imageMediaType, data: z.string().min(1) }),
    z.object({ type: z.literal('url'), url: z.string().min(1) }),
    z.looseObject({ type: z.literal('file'), file_id: z.string() }),
  ]),
  cache_control: cacheControl,
});

export const toolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
  caller: z.unknown().optional(),
});

export const toolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: blocks(blockUnion('tool_result content block', [textBlockSchema, imageBlockSchema])).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
});

/** Anthropic block types the gateway knows but cannot send to an arbitrary model; the translator names them. */
export const unsupportedBlockTypes = [
  'document',
  'search_result',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'container_upload',
] as const;

const unsupportedBlockSchema = z.looseObject({ type: z.enum(unsupportedBlockTypes) });

/** Thinking blocks from an earlier Claude turn: meaningless to another model, so they are dropped. */
const thinkingBlockSchema = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });

export const contentBlockSchema = blockUnion('content block', [
  textBlockSchema,
  imageBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  thinkingBlockSchema,
  unsupportedBlockSchema,
]);

export const inputMessageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: blocks(contentBlockSchema),
});

/**
 * A tool: a custom tool (`input_schema`, `type` absent or `custom`) or an Anthropic-hosted server tool
 * (`web_search_20250305`, ...), which has a dated `type` and no schema; the translator refuses the latter.
 */
export const toolSchema = z
  .looseObject({
    type: z.string().nullish(),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/, 'must be 1-128 characters of a-z, A-Z, 0-9, _ or -'),
    description: z.string().optional(),
    input_schema: z.looseObject({ type: z.literal('object') }).optional(),
    cache_control: cacheControl,
  })
  .superRefine((tool, ctx) => {
    if (isCustomTool(tool) && tool.input_schema === undefined) {
      ctx.addIssue({ code: 'custom', path: ['input_schema'], message: "custom tools need an 'input_schema'" });
    }
  });

export function isCustomTool(tool: { type?: string | null }): boolean {
  return tool.type == null || tool.type === 'custom';
}

const parallel = { disable_parallel_tool_use: z.boolean().optional() };

export const toolChoiceSchema = blockUnion('tool_choice', [
  z.object({ type: z.literal('auto'), ...parallel }),
  z.object({ type: z.literal('any'), ...parallel }),
  z.object({ type: z.literal('tool'), name: z.string().min(1), ...parallel }),
  z.object({ type: z.literal('none') }),
]);

const thinkingSchema = blockUnion('thinking', [
  z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1), display: z.unknown().optional() }),
  z.object({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive') }),
]);

const outputConfigSchema = z.object({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z.object({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

/**
 * Unknown top-level fields are accepted and not forwarded: newer SDKs add hints (`service_tier`, `speed`,
 * `inference_geo`) that mean nothing to another provider, and refusing them would break clients on upgrade.
 */
const requestFields = {
  model: z.string().min(1),
  messages: z.array(inputMessageSchema).min(1),
  system: blocks(textBlockSchema).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: thinkingSchema.optional(),
  container: z.unknown().optional(),
  mcp_servers: z.unknown().optional(),
  context_management: z.unknown().optional(),
  output_config: outputConfigSchema.optional(),
};

export const messagesRequestSchema = z.looseObject({
  ...requestFields,
  max_tokens: z.number().int().min(1),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.object({ user_id: z.string().max(256).nullish() }).optional(),
});

/** `count_tokens` takes the same prompt, without the sampling parameters. */
export const countTokensRequestSchema = z.looseObject(requestFields);

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type InputMessage = z.infer<typeof inputMessageSchema>;
export type ContentBlock = z.infer<typeof contentBlockSchema>;
export type TextBlock = z.infer<typeof textBlockSchema>;
export type ImageBlock = z.infer<typeof imageBlockSchema>;
export type ToolResultBlock = z.infer<typeof toolResultBlockSchema>;
export type AnthropicTool = z.infer<typeof toolSchema>;
export type AnthropicToolChoice = z.infer<typeof toolChoiceSchema>;
