/**
 * Anthropic Messages response and stream-event shapes, as `specs/anthropic-openapi.json` defines them. Fields the
 * gateway never fills (`container`, `stop_details`, `citations`, ...) are still present as `null`: the spec marks
 * them required, and the official SDKs copy them into their message snapshots.
 */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface TextContent {
  type: 'text';
  text: string;
  citations: null;
}

export interface ToolUseContent {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  caller: { type: 'direct' };
}

export type MessageContent = TextContent | ToolUseContent;

export interface MessageUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: null;
  server_tool_use: null;
  service_tier: null;
  inference_geo: null;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  content: MessageContent[];
  model: string;
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  stop_details: null;
  container: null;
  usage: MessageUsage;
}

export interface DeltaUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  server_tool_use: null;
}

export type StreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: MessageContent }
  | {
      type: 'content_block_delta';
      index: number;
      delta: { type: 'text_delta'; text: string } | { type: 'input_json_delta'; partial_json: string };
    }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: StopReason | null; stop_sequence: string | null; stop_details: null; container: null };
      usage: DeltaUsage;
    }
  | { type: 'message_stop' };
