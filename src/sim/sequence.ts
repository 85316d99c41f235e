/**
 * One request inside the engine: its tokens (prompt, then output as it is sampled), how many of them have their
 * KV computed, where it is in its life (waiting → running ⇄ preempted → finished), and the virtual times the
 * latency metrics are made from.
 */

export type SequenceStatus = 'waiting' | 'running' | 'preempted' | 'finished';

/** `length`: hit the requested or model limit; `stop`: reached its end-of-sequence token; `abort`: cancelled. */
export type FinishReason = 'length' | 'stop' | 'abort';

export interface OutputToken {
  id: number;
  text: string;
}

/** What the engine tells the request's owner, with the virtual time (seconds) it happened at. */
export interface SequenceListener {
  onToken(token: OutputToken, time: number): void;
  onFinish(reason: FinishReason, time: number): void;
}

export interface SequenceInit {
  id: string;
  promptTokens: readonly number[];
  /** Output tokens to produce before finishing. */
  outputTokens: number;
  /** Why it finishes after `outputTokens`: a length limit or its own end of sequence. */
  finishReason: 'length' | 'stop';
  /** Produces the next output token. */
  sample: () => OutputToken;
  listener: SequenceListener;
  arrivalTime: number;
}

export class Sequence {
  readonly id: string;
  readonly promptLength: number;
  readonly outputLimit: number;
  readonly limitReason: 'length' | 'stop';
  readonly listener: SequenceListener;
  readonly arrivalTime: number;
  readonly sample: () => OutputToken;
  /** Prompt then output token ids. */
  readonly tokens: number[];
  status: SequenceStatus = 'waiting';
  /** Tokens whose KV is in the cache (prefix hits plus computed). */
  numComputedTokens = 0;
  /** Prompt tokens found in the prefix cache when first scheduled. */
  cachedPromptTokens = 0;
  numPreemptions = 0;
  firstScheduledTime: number | undefined;
  firstTokenTime: number | undefined;
  lastTokenTime: number | undefined;

  constructor(init: SequenceInit) {
    this.id = init.id;
    this.tokens = [...init.promptTokens];
    this.promptLength = init.promptTokens.length;
    this.outputLimit = init.outputTokens;
    this.limitReason = init.finishReason;
    this.sample = init.sample;
    this.listener = init.listener;
    this.arrivalTime = init.arrivalTime;
  }

  get numOutputTokens(): number {
    return this.tokens.length - this.promptLength;
  }

  /** Tokens still to run through the model before the next one can be sampled. */
  get numPendingTokens(): number {
    return this.tokens.length - this.numComputedTokens;
  }

  get isFinished(): boolean {
    return this.status === 'finished';
  }
}
