/**
 * The simulated inference engine: takes tokenised requests, runs the scheduler step by step on a virtual clock,
 * each step as long as the roofline model says that batch takes on the configured GPUs, and reports every token
 * and finish to the request's listener and to an observer (the metrics). The loop runs only while there is work.
 */
import { GatewayError } from '../core/errors.js';
import { hashString } from '../providers/sim/generate.js';
import type { EngineConfig } from './engine-config.js';
import { KvCacheManager } from './kv-cache-manager.js';
import { createOutputSampler, drawOutputLength } from './output-sampler.js';
import { Scheduler, type StepPlan } from './scheduler.js';
import { Sequence, type FinishReason, type SequenceListener } from './sequence.js';
import { stepCost } from './step-time.js';
import { VirtualClock } from './virtual-clock.js';

export interface EngineRequest {
  promptTokens: readonly number[];
  /** Output length to produce; without it the length is drawn (and ends with `stop`). */
  maxTokens?: number;
  /** Keep generating past the end-of-sequence token, up to `maxTokens` or the model length. */
  ignoreEos?: boolean;
  seed?: number;
  listener: SequenceListener;
}

/** What the metrics need to hear about; every time is virtual seconds. */
export interface EngineObserver {
  scheduled(sequence: Sequence, time: number): void;
  token(sequence: Sequence, time: number, previousTokenTime: number | undefined): void;
  finished(sequence: Sequence, reason: FinishReason, time: number): void;
  stepped(plan: StepPlan, seconds: number): void;
}

export interface EngineSnapshot {
  /** Virtual seconds since the engine started. */
  time: number;
  running: number;
  waiting: number;
  kvCacheUsage: number;
  numGpuBlocks: number;
  freeBlocks: number;
  cachedBlocks: number;
  steps: number;
}

export class SimEngine {
  readonly config: EngineConfig;
  readonly clock: VirtualClock;
  readonly kv: KvCacheManager;
  readonly scheduler: Scheduler;
  private readonly observers: EngineObserver[] = [];
  private readonly sequences = new Map<string, Sequence>();
  private nextId = 0;
  private steps = 0;
  private looping = false;
  private closed = false;

  constructor(config: EngineConfig, clock = new VirtualClock(config.options.timeScale)) {
    this.config = config;
    this.clock = clock;
    const { capacity, options } = config;
    this.kv = new KvCacheManager(capacity.numGpuBlocks, capacity.blockSize, options.enablePrefixCaching);
    this.scheduler = new Scheduler(
      { maxNumSeqs: options.maxNumSeqs, maxNumBatchedTokens: options.maxNumBatchedTokens, maxModelLen: capacity.maxModelLen },
      this.kv,
    );
  }

  observe(observer: EngineObserver): void {
    this.observers.push(observer);
  }

  /** Queues a request; throws a 400 GatewayError if it cannot fit the model length, 503 if the queue is full. */
  submit(request: EngineRequest): Sequence {
    if (this.closed) throw new GatewayError('shutting_down', 'the engine is shutting down');
    const { maxModelLen } = this.config.capacity;
    const promptLength = request.promptTokens.length;
    if (promptLength === 0) throw new GatewayError('invalid_request', 'the prompt is empty', { param: 'messages' });
    if (promptLength + (request.maxTokens ?? 0) > maxModelLen || promptLength >= maxModelLen) {
      const asked = request.maxTokens === undefined ? `${promptLength} tokens in the prompt` :
        `${promptLength + request.maxTokens} tokens (${promptLength} in the prompt, ${request.maxTokens} in the completion)`;
      throw new GatewayError('context_length_exceeded', `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${asked}. Please reduce the length of the prompt or completion.`, { param: 'messages' });
    }
    if (this.scheduler.waiting.length >= this.config.options.maxWaitingRequests) {
      throw new GatewayError('overloaded', `the engine already has ${this.scheduler.waiting.length} requests waiting`, { retryable: true });
    }
    const now = this.clock.now();
    const seed = request.seed ?? hashString(request.promptTokens.slice(0, 256).join(','), this.config.options.seed >>> 0);
    const room = maxModelLen - promptLength;
    const drawn = request.ignoreEos ? room : drawOutputLength(seed, this.config.options.meanOutputTokens);
    const outputTokens = Math.min(request.maxTokens ?? drawn, room);
    const endsAtEos = request.maxTokens === undefined && !request.ignoreEos && drawn <= room;
    const sequence = new Sequence({
      id: `seq-${++this.nextId}`,
      promptTokens: request.promptTokens,
      outputTokens,
      finishReason: endsAtEos ? 'stop' : 'length',
      sample: createOutputSampler(seed),
      listener: request.listener,
      arrivalTime: now,
    });
    this.sequences.set(sequence.id, sequence);
    this.scheduler.add(sequence);
    this.kick(now);
    return sequence;
  }

  /** Cancels a request (client gone): its blocks are freed at once and its listener hears `abort`. */
  abort(sequence: Sequence): void {
    if (!this.scheduler.abort(sequence)) return;
    this.sequences.delete(sequence.id);
    sequence.listener.onFinish('abort', this.clock.now());
  }

  snapshot(): EngineSnapshot {
    const pool = this.kv.pool;
    return {
      time: this.clock.now(),
      running: this.scheduler.running.length,
      waiting: this.scheduler.waiting.length,
      kvCacheUsage: pool.usage(),
      numGpuBlocks: pool.numBlocks,
      freeBlocks: pool.numFreeBlocks,
      cachedBlocks: pool.numCachedBlocks,
      steps: this.steps,
    };
  }

  /** Stops the loop and aborts every request still in the engine. */
  close(): void {
    this.closed = true;
    for (const sequence of [...this.sequences.values()]) this.abort(sequence);
  }

  private kick(now: number): void {
    if (this.looping || this.closed || !this.scheduler.hasWork) return;
    this.looping = true;
    void this.loop(now).finally(() => {
      this.looping = false;
    });
  }

  /**
   * Steps back to back from `start` while there is work: each step begins where the previous one ended, so
   * virtual time inside a busy period is the sum of step durations, however fast the host runs them.
   */
  private async loop(start: number): Promise<void> {
    while (this.scheduler.hasWork && !this.closed) {
      const previousTokenTimes = new Map<Sequence, number | undefined>();
      const plan = this.scheduler.schedule();
      if (plan.chunks.length === 0) {
        this.abortUnschedulable();
        continue;
      }
      for (const sequence of plan.admitted) {
        sequence.firstScheduledTime = start;
        for (const observer of this.observers) observer.scheduled(sequence, start);
      }
      for (const { sequence } of plan.chunks) previousTokenTimes.set(sequence, sequence.lastTokenTime);
      const cost = stepCost(this.config.deployment, plan.chunks);
      const end = start + cost.seconds;
      await this.clock.runUntil(end);
      this.steps += 1;
      start = end;
      const sampledBefore = new Map(plan.chunks.map(({ sequence }) => [sequence, sequence.numOutputTokens]));
      const finished = this.scheduler.complete(plan, end);
      for (const observer of this.observers) {
        observer.stepped(plan, cost.seconds);
        for (const [sequence, before] of sampledBefore) {
          if (sequence.numOutputTokens > before) observer.token(sequence, end, previousTokenTimes.get(sequence));
        }
      }
      for (const { sequence, reason } of finished) {
        this.sequences.delete(sequence.id);
        for (const observer of this.observers) observer.finished(sequence, reason, end);
        sequence.listener.onFinish(reason, end);
      }
    }
  }

  /** A step with work but nothing schedulable cannot make progress: fail the head of the queue rather than spin. */
  private abortUnschedulable(): void {
    const head = this.scheduler.waiting[0] ?? this.scheduler.running[0];
    if (head !== undefined) this.abort(head);
  }
}
