/**
 * What every protocol-faithful mock upstream offers the shared adapter contract: a base URL, a switchable
 * scenario, and a record of what reached it (including aborted connections).
 */
export type MockScenario =
  /** Answer with this text; finish "stop". */
  | { kind: 'text'; text: string }
  /**
   * Call the tool `name` with `arguments`. The mock answers this only if the request declared a tool of that
   * name in the provider's native format, and 400s otherwise, so the adapter's tool translation is checked.
   */
  | { kind: 'tool_call'; name: string; arguments: Record<string, unknown> }
  /**
   * Answer with `JSON.stringify(value)` as the text. The mock checks the request asked for JSON output in the
   * provider's native way where one exists (OpenAI `response_format`, Gemini `responseMimeType`), 400 otherwise.
   */
  | { kind: 'json'; value: Record<string, unknown> }
  /** Fail with this HTTP status and the provider's own error envelope. */
  | {
      kind: 'error';
      status: number;
      message: string;
      /** Sent as `retry-after` (seconds). */
      retryAfterSeconds?: number;
      /** Phrase the error the way this provider reports a prompt that is over the context window. */
      contextLength?: boolean;
    }
  /** Stream: a few good deltas, then an event whose data is not JSON. Non-stream: a body that is not JSON. */
  | { kind: 'malformed_stream' }
  /** Stream: a few good deltas, then the connection ends with no finish/end marker. */
  | { kind: 'truncated_stream' }
  /** Stream: the first delta, then nothing until the client aborts (for abort propagation tests). */
  | { kind: 'hang_stream' };

/**
 * Faults in time rather than content, which every mock answers the same way whatever its protocol (handled by
 * mock-server.ts before the protocol's own handler runs).
 */
export type TimingFault<S> =
  /** Accept the request and read its body, then send nothing at all (not even headers) until the client gives up. */
  | { kind: 'black_hole' }
  /** Send nothing (not even headers) for `delayMs`, then answer as `then` (default: the mock's current scenario). */
  | { kind: 'slow_first_byte'; delayMs: number; then?: S };

/** What one request may be answered with: a protocol scenario or a timing fault. */
export type Step<S> = S | TimingFault<S>;

/** Every mock reports this usage for every successful answer, so the contract can check usage extraction. */
export const MOCK_USAGE = { input: 11, output: 7 } as const;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface MockUpstream {
  /** Base URL to put in the provider config (`base_url`). */
  readonly url: string;
  setScenario(scenario: MockScenario): void;
  /**
   * Scripted mode: each incoming request (of any path) takes the next step from this queue, in arrival order;
   * once it is empty, requests get the current scenario again. Calling it again appends.
   */
  script(...steps: Step<MockScenario>[]): void;
  readonly requests: RecordedRequest[];
  /** Requests whose client went away before the mock finished answering. */
  readonly aborted: number;
  close(): Promise<void>;
}
