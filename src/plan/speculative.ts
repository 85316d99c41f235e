/**
 * Speculative decoding: a draft model proposes k tokens, the target verifies them in one pass. With a per-token
 * acceptance rate α (independent across positions), a round yields (1 − α^(k+1)) / (1 − α) tokens on average
 * (Leviathan et al., "Fast Inference from Transformers via Speculative Decoding", 2023, eq. 1) and costs k draft
 * steps plus one target step; the target's verify pass over k + 1 tokens costs about one decode step because
 * decode is memory-bound.
 */

/** Tokens produced per verification round: accepted drafts plus the target's own token. */
export function expectedTokensPerRound(draftTokens: number, acceptanceRate: number): number {
  if (!Number.isInteger(draftTokens) || draftTokens < 0) throw new RangeError('draftTokens must be a whole number ≥ 0');
  if (!(acceptanceRate >= 0 && acceptanceRate <= 1)) throw new RangeError('acceptanceRate must be in [0, 1]');
  if (acceptanceRate === 1) return draftTokens + 1;
  return (1 - acceptanceRate ** (draftTokens + 1)) / (1 - acceptanceRate);
}

/**
 * Decode speed-up over plain decoding. `draftCostRatio` is one draft step's time over one target step's time
 * (e.g. ~0.1 for a 1B draft of an 8B target on the same GPU, since both are memory-bound: the weight-size ratio).
 */
export function speculativeSpeedup(draftTokens: number, acceptanceRate: number, draftCostRatio: number): number {
  if (!(draftCostRatio >= 0)) throw new RangeError('draftCostRatio must be ≥ 0');
  return expectedTokensPerRound(draftTokens, acceptanceRate) / (draftTokens * draftCostRatio + 1);
}

/** The draft length (1..maxDraftTokens) with the largest speed-up. */
export function bestDraftLength(acceptanceRate: number, draftCostRatio: number, maxDraftTokens = 16): { draftTokens: number; speedup: number } {
  let best = { draftTokens: 1, speedup: speculativeSpeedup(1, acceptanceRate, draftCostRatio) };
  for (let k = 2; k <= maxDraftTokens; k++) {
    const speedup = speculativeSpeedup(k, acceptanceRate, draftCostRatio);
    if (speedup > best.speedup) best = { draftTokens: k, speedup };
  }
  return best;
}
