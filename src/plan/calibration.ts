/**
 * The knobs that turn roofline peaks into realistic estimates. A GPU calibration run (measure one prefill and a
 * few decode steps, fit these) replaces the defaults; everything else in the model is arithmetic on datasheets
 * and config.json. The defaults were set once against the published figures in test/plan/validation.test.ts and
 * are deliberately round numbers, not a per-figure fit.
 */
import type { ComputeClass } from './dtypes.js';
import type { Hardware, HardwareKind } from './hardware.js';

export interface Calibration {
  /**
   * Share of peak memory bandwidth a decode step achieves. lmdeploy's batch-1 runs on A100 reach 66–73% and
   * llama.cpp's on an RTX 4090 70–82%; llama.cpp's Metal kernels reach 42–56% of Apple's advertised bandwidth.
   */
  decodeBandwidthEfficiency: Readonly<Record<HardwareKind, number>>;
  /** Share of dense 16-bit tensor peak a prefill reaches (TensorRT-LLM and lmdeploy A100 first-token latencies). */
  prefillEfficiency16Bit: number;
  /**
   * Share of the FP8/INT8 peak: lower, because attention, norms and (de)quantisation do not get faster with 8-bit
   * GEMMs (TensorRT-LLM H100 FP8 first-token latencies).
   */
  prefillEfficiency8Bit: number;
  /**
   * How compute time and memory time combine: as (cᵖ + mᵖ)^(1/p). Infinity is the pure roofline max; kernels do
   * not overlap the two perfectly when they are close (large-batch decode sits near the ridge point), and p = 2
   * adds up to 41% there while staying within 1% of the max once one side is 7× the other.
   */
  rooflineSmoothing: number;
  /** Share of link bandwidth a ring all-reduce achieves. */
  allReduceBandwidthEfficiency: number;
  /** Fixed cost of one all-reduce (launch and synchronisation), seconds. */
  allReduceLatencySeconds: number;
}

export const defaultCalibration: Calibration = {
  decodeBandwidthEfficiency: { 'datacenter-gpu': 0.7, 'workstation-gpu': 0.7, 'apple-silicon': 0.5 },
  prefillEfficiency16Bit: 0.65,
  prefillEfficiency8Bit: 0.45,
  rooflineSmoothing: 2,
  allReduceBandwidthEfficiency: 0.7,
  allReduceLatencySeconds: 10e-6,
};

export interface ComputeRate {
  /** Effective FLOP/s: peak × efficiency. */
  flopsPerSecond: number;
  peakTflops: number;
  efficiency: number;
}

/**
 * The rate a format's GEMMs run at on this hardware. 8-bit formats fall back to the 16-bit rate where the
 * hardware has no 8-bit tensor cores (vLLM then runs FP8 checkpoints as W8A16 Marlin kernels); FP32 runs at half
 * the 16-bit rate (TF32 tensor cores).
 */
export function computeRate(hw: Hardware, compute: ComputeClass, calibration: Calibration): ComputeRate {
  const eightBit = compute === 'fp8' ? hw.tflopsFp8 : compute === 'int8' ? hw.topsInt8 : undefined;
  if (eightBit !== undefined) {
    return rate(eightBit, calibration.prefillEfficiency8Bit);
  }
  return rate(compute === 'fp32' ? hw.tflops16 / 2 : hw.tflops16, calibration.prefillEfficiency16Bit);
}

function rate(peakTflops: number, efficiency: number): ComputeRate {
  return { flopsPerSecond: peakTflops * 1e12 * efficiency, peakTflops, efficiency };
}

export function memoryBandwidth(hw: Hardware, calibration: Calibration): number {
  return hw.memoryBandwidthGBps * 1e9 * calibration.decodeBandwidthEfficiency[hw.kind];
}
