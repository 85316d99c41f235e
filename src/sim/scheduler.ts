/**
 * The continuous-batching scheduler, after vLLM v1's: each step has a token budget (`maxNumBatchedTokens`) shared
 * by running sequences first (one decode token each, or the next chunk of an unfinished prefill) and then by
 * waiting sequences in arrival order while `maxNumSeqs` and the KV cache allow. A prompt longer than the remaining
 * budget is prefilled in chunks over several steps. When a running sequence cannot get a block for its next token,
 * the most recently admitted running sequence is preempted: its blocks are freed and it goes back to the head of
 * the queue to be recomputed (helped by whatever of it is still in the prefix cache). A waiting sequence that
 * does not fit blocks the queue behind it (FIFO), and nothing new is admitted in a step that had to preempt.
 * Pure and synchronous: the engine decides when steps happen and how long they take.
 */
import type { KvCacheManager } from './kv-cache-manager.js';
import type { FinishReason, Sequence } from './sequence.js';

export interface SchedulerLimits {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
}

/** Tokens one sequence runs through the model in a step, after `context` tokens already in its cache. */
export interface ScheduledChunk {
  sequence: Sequence;
  tokens: number;
  context: number;
}

export interface StepPlan {
  chunks: ScheduledChunk[];
  scheduledTokens: number;
  preempted: Sequence[];
  /** Sequences scheduled for the first time. */
  admitted: Sequence[];
  /** Prompt tokens looked up in the prefix cache this step, and how many were found. */
  prefixQueryTokens: number;
  prefixHitTokens: number;
}

export interface FinishedSequence {
  sequence: Sequence;
  reason: FinishReason;
}

export class Scheduler {
  readonly waiting: Sequence[] = [];
  readonly running: Sequence[] = [];
  readonly limits: SchedulerLimits;
  private readonly kv: KvCacheManager;

  constructor(limits: SchedulerLimits, kv: KvCacheManager) {
    this.limits = limits;
    this.kv = kv;
  }

  get hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  add(sequence: Sequence): void {
    sequence.status = 'waiting';
    this.waiting.push(sequence);
  }

  schedule(): StepPlan {
    const plan: StepPlan = { chunks: [], scheduledTokens: 0, preempted: [], admitted: [], prefixQueryTokens: 0, prefixHitTokens: 0 };
    let budget = this.limits.maxNumBatchedTokens;

    let index = 0;
    while (index < this.running.length && budget > 0) {
      const sequence = this.running[index] as Sequence;
      const tokens = Math.min(sequence.numPendingTokens, budget);
      if (tokens <= 0) {
        index += 1;
        continue;
      }
      if (!this.allocateOrPreempt(sequence, tokens, plan)) break;
      this.scheduleChunk(plan, sequence, tokens);
      budget -= tokens;
      index += 1;
    }

    if (plan.preempted.length > 0) return plan;
    while (this.waiting.length > 0 && budget > 0 && this.running.length < this.limits.maxNumSeqs) {
      const sequence = this.waiting[0] as Sequence;
      const cached = this.kv.findCachedPrefix(sequence);
      const tokens = Math.min(sequence.tokens.length - cached.tokens, budget);
      if (!this.kv.allocateSlots(sequence, tokens, cached)) break;
      this.waiting.shift();
      plan.prefixQueryTokens += sequence.tokens.length;
      plan.prefixHitTokens += cached.tokens;
      if (sequence.firstScheduledTime === undefined) {
        sequence.cachedPromptTokens = cached.tokens;
        plan.admitted.push(sequence);
      }
      sequence.numComputedTokens = cached.tokens;
      sequence.status = 'running';
      this.running.push(sequence);
      this.scheduleChunk(plan, sequence, tokens);
      budget -= tokens;
    }
    return plan;
  }

  /**
   * After the step ran: every sequence whose known tokens are now all computed samples one token; those that
   * reached their length finish and free their blocks. Sequences aborted during the step are skipped.
   */
  complete(plan: StepPlan, time: number): FinishedSequence[] {
    const finished: FinishedSequence[] = [];
    for (const { sequence } of plan.chunks) {
      if (sequence.status !== 'running' || sequence.numComputedTokens < sequence.tokens.length) continue;
      const token = sequence.sample();
      sequence.tokens.push(token.id);
      sequence.firstTokenTime ??= time;
      sequence.lastTokenTime = time;
      sequence.listener.onToken(token, time);
      const reason = this.finishReason(sequence);
      if (reason !== undefined) {
        this.finish(sequence);
        finished.push({ sequence, reason });
      }
    }
    return finished;
  }

  /** Removes a sequence wherever it is and frees its blocks; true if it was still in the engine. */
  abort(sequence: Sequence): boolean {
    if (sequence.isFinished) return false;
    const queue = sequence.status === 'running' ? this.running : this.waiting;
    const position = queue.indexOf(sequence);
    if (position >= 0) queue.splice(position, 1);
    sequence.status = 'finished';
    this.kv.free(sequence);
    return true;
  }

  private finishReason(sequence: Sequence): 'length' | 'stop' | undefined {
    if (sequence.numOutputTokens >= sequence.outputLimit) return sequence.limitReason;
    if (sequence.tokens.length >= this.limits.maxModelLen) return 'length';
    return undefined;
  }

  private finish(sequence: Sequence): void {
    const position = this.running.indexOf(sequence);
    if (position >= 0) this.running.splice(position, 1);
    sequence.status = 'finished';
    this.kv.free(sequence);
  }

  private scheduleChunk(plan: StepPlan, sequence: Sequence, tokens: number): void {
    plan.chunks.push({ sequence, tokens, context: sequence.numComputedTokens });
    sequence.numComputedTokens += tokens;
    plan.scheduledTokens += tokens;
  }

  /** Gets blocks for `sequence`, preempting from the back of the running list; false if it preempted itself. */
  private allocateOrPreempt(sequence: Sequence, tokens: number, plan: StepPlan): boolean {
    while (!this.kv.allocateSlots(sequence, tokens)) {
      const victim = this.running.pop();
      if (victim === undefined) return false;
      this.kv.free(victim);
      victim.status = 'preempted';
      victim.numComputedTokens = 0;
      victim.numPreemptions += 1;
      this.waiting.unshift(victim);
      plan.preempted.push(victim);
      if (victim === sequence) return false;
    }
    return true;
  }
}
