/**
 * How long a replica takes from scheduling to serving: weights arriving on the node, then engine start (CUDA
 * context, memory profiling, CUDA graph capture). Sizes the startup probe, and is the cold start the autoscaling
 * simulator assumes when a policy does not give one.
 */
export interface StartupEstimate {
  weightSeconds: number;
  engineSeconds: number;
  totalSeconds: number;
}

/**
 * Engine start besides weights: vLLM's profiling run and CUDA-graph capture take about one to two minutes on
 * current GPUs (its logs print each phase); tensor parallelism adds worker start-up and NCCL set-up.
 */
export function startupEstimate(weightGiB: number, tensorParallel: number, weightLoadGBps: number): StartupEstimate {
  const weightSeconds = (weightGiB * 1.073741824) / weightLoadGBps;
  const engineSeconds = 90 + 15 * Math.log2(Math.max(1, tensorParallel));
  return { weightSeconds, engineSeconds, totalSeconds: weightSeconds + engineSeconds };
}
