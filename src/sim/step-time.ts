/**
 * How long one engine step takes on the modelled GPUs: the planner's roofline applied to a mixed batch. The step
 * reads the weights once (the experts its tokens touch, for MoE), reads every scheduled sequence's cached KV and
 * writes the new tokens' KV; it computes 2 × active params per token plus causal attention of each chunk over its
 * context; tensor parallelism splits both and adds two all-reduces per layer. So a step of 1 decode token costs
 * about the weight read (memory-bound), a big prefill chunk costs its FLOPs (compute-bound), and steps get slower
 * as the batch and contexts grow: the source of TTFT and ITL that degrade with load.
 */
import { kvBytesPerTokenPerGpu } from '../plan/memory.js';
import { attentionFlopsPerContextToken, rooflinePass, weightBytesRead, type Deployment } from '../plan/performance.js';

export interface BatchChunk {
  /** Tokens this sequence runs through the model in the step (1 for a decode). */
  tokens: number;
  /** Tokens of the sequence already in the KV cache. */
  context: number;
}

export interface StepCost {
  seconds: number;
  computeSeconds: number;
  memorySeconds: number;
  communicationSeconds: number;
}

/** The duration of one forward pass over `chunks`; 0 for an empty batch. */
export function stepCost(deployment: Deployment, chunks: readonly BatchChunk[]): StepCost {
  const { model, tensorParallel } = deployment;
  let tokens = 0;
  let attentionPairs = 0;
  let kvTokensTouched = 0;
  for (const chunk of chunks) {
    tokens += chunk.tokens;
    // Each new token attends to the context plus the new tokens before it (causal).
    attentionPairs += chunk.tokens * chunk.context + (chunk.tokens * (chunk.tokens + 1)) / 2;
    kvTokensTouched += chunk.context + chunk.tokens;
  }
  if (tokens === 0) return { seconds: 0, computeSeconds: 0, memorySeconds: 0, communicationSeconds: 0 };
  const flops = 2 * model.activeParams * tokens + attentionFlopsPerContextToken(model) * attentionPairs;
  const bytes =
    weightBytesRead(model, deployment.weightDtype, tokens) / tensorParallel +
    kvTokensTouched * kvBytesPerTokenPerGpu(model, deployment.kvDtype, tensorParallel);
  const { seconds, computeSeconds, memorySeconds, communicationSeconds } = rooflinePass(deployment, flops, bytes, tokens);
  return { seconds, computeSeconds, memorySeconds, communicationSeconds };
}
