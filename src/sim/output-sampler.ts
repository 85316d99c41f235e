/**
 * What the simulated model says: a seeded stream of words (each one token, with its id from the engine's
 * tokeniser) and, when the request sets no limit, an output length drawn from a log-normal distribution, as real
 * chat output lengths are skewed: most answers short, a long tail.
 */
import { createRandom } from '../providers/sim/generate.js';
import type { OutputToken } from './sequence.js';
import { tokenize } from './tokenizer.js';

const words = (
  'the engine schedules each request into a batch and the batch runs on the accelerator while the cache keeps ' +
  'keys and values for every token so that later steps read them back instead of computing the prompt again ' +
  'when memory runs short the newest sequence waits and is recomputed once blocks are free'
).split(' ');

const vocabulary: readonly OutputToken[] = words.map((word) => {
  const text = ` ${word}`;
  return { id: tokenize(text)[0] ?? 0, text };
});

/** Spread of the log-normal output length: σ = 0.8 puts the 90th percentile near 2.2× the mean. */
const lengthSigma = 0.8;

export function createOutputSampler(seed: number): () => OutputToken {
  const random = createRandom(seed);
  return () => vocabulary[Math.floor(random() * vocabulary.length)] as OutputToken;
}

/** An output length with the given mean, at least 1. */
export function drawOutputLength(seed: number, mean: number): number {
  const random = createRandom(seed ^ 0x5f3759df);
  const u1 = Math.max(random(), Number.MIN_VALUE);
  const u2 = random();
  const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  const mu = Math.log(mean) - (lengthSigma * lengthSigma) / 2;
  return Math.max(1, Math.round(Math.exp(mu + lengthSigma * normal)));
}
