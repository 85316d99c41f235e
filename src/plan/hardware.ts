/**
 * Accelerators the planner knows: datacenter GPUs, workstation GPUs and Apple unified-memory machines. Peak numbers
 * are the vendors' dense (no 2:4 sparsity) tensor-core figures from the datasheets linked per entry.
 *
 * `hourlyUsd` is a DEFAULT ASSUMPTION, not a quote: cloud prices vary by region, commitment and month. Only the
 * two Ori prices are published figures; the others are rough on-demand levels, and Apple machines are their list
 * price amortised over 36 months (power excluded). Override with `gpuHourlyUsd` in the plan input.
 */
export type HardwareKind = 'datacenter-gpu' | 'workstation-gpu' | 'apple-silicon';

export interface Hardware {
  id: string;
  name: string;
  kind: HardwareKind;
  memoryGiB: number;
  /** Share of memory the accelerator may use: Metal caps a process at its recommendedMaxWorkingSetSize, ~75%. */
  usableMemoryFraction: number;
  memoryBandwidthGBps: number;
  /** Dense FP16/BF16 tensor TFLOPS (FP32 accumulate on GeForce cards, as PyTorch runs them). */
  tflops16: number;
  /** Dense FP8 tensor TFLOPS; absent where the hardware has no FP8 (A100, RTX 3090, Apple). */
  tflopsFp8?: number;
  /** Dense INT8 tensor TOPS. */
  topsInt8?: number;
  /** GPU-to-GPU bandwidth per direction, GB/s, for tensor-parallel all-reduce; absent for single-device machines. */
  interconnectGBps?: number;
  interconnect: string;
  hourlyUsd: number;
  priceNote: string;
  source: string;
}

const assumedPrice = 'assumed on-demand $/GPU-hour; override for your contract';
const amortised = 'list price amortised over 36 months, power excluded';
const pcie4 = { interconnectGBps: 32, interconnect: 'PCIe 4.0 x16' };

const catalogue: Hardware[] = [
  { id: 'a10g', name: 'NVIDIA A10G 24GB', kind: 'datacenter-gpu', memoryGiB: 24, usableMemoryFraction: 1,
    memoryBandwidthGBps: 600, tflops16: 125, topsInt8: 250, ...pcie4, hourlyUsd: 1.01,
    priceNote: 'AWS g5.xlarge on-demand, us-east-1 (whole instance)',
    source: 'AWS publishes no A10G datasheet; NVIDIA A10 datasheet figures (nvidia.com/en-us/data-center/products/a10-gpu)' },
  { id: 'l4', name: 'NVIDIA L4 24GB', kind: 'datacenter-gpu', memoryGiB: 24, usableMemoryFraction: 1,
    memoryBandwidthGBps: 300, tflops16: 121, tflopsFp8: 242.5, topsInt8: 242.5, ...pcie4, hourlyUsd: 0.71,
    priceNote: assumedPrice, source: 'NVIDIA L4 datasheet (nvidia.com/en-us/data-center/l4)' },
  { id: 'l40s', name: 'NVIDIA L40S 48GB', kind: 'datacenter-gpu', memoryGiB: 48, usableMemoryFraction: 1,
    memoryBandwidthGBps: 864, tflops16: 362, tflopsFp8: 733, topsInt8: 733, ...pcie4, hourlyUsd: 1.9,
    priceNote: assumedPrice, source: 'NVIDIA L40S datasheet (nvidia.com/en-us/data-center/l40s)' },
  { id: 'a100-40gb', name: 'NVIDIA A100 SXM 40GB', kind: 'datacenter-gpu', memoryGiB: 40, usableMemoryFraction: 1,
    memoryBandwidthGBps: 1555, tflops16: 312, topsInt8: 624, interconnectGBps: 300, interconnect: 'NVLink 3 (600 GB/s)',
    hourlyUsd: 3.67, priceNote: 'GCP a2-highgpu-1g on-demand, us-central1 (whole instance)',
    source: 'NVIDIA A100 datasheet (nvidia.com/en-us/data-center/a100)' },
  { id: 'a100-80gb', name: 'NVIDIA A100 SXM 80GB', kind: 'datacenter-gpu', memoryGiB: 80, usableMemoryFraction: 1,
    memoryBandwidthGBps: 2039, tflops16: 312, topsInt8: 624, interconnectGBps: 300, interconnect: 'NVLink 3 (600 GB/s)',
    hourlyUsd: 2.74, priceNote: 'Ori public cloud, as published in its Llama 3.1 8B vLLM benchmark post (blog.ori.co)',
    source: 'NVIDIA A100 datasheet (nvidia.com/en-us/data-center/a100)' },
  { id: 'h100-sxm', name: 'NVIDIA H100 SXM 80GB', kind: 'datacenter-gpu', memoryGiB: 80, usableMemoryFraction: 1,
    memoryBandwidthGBps: 3350, tflops16: 989, tflopsFp8: 1979, topsInt8: 1979, interconnectGBps: 450,
    interconnect: 'NVLink 4 (900 GB/s)', hourlyUsd: 3.24,
    priceNote: 'Ori public cloud, as published in its Llama 3.1 8B vLLM benchmark post (blog.ori.co)',
    source: 'NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100)' },
  { id: 'h100-pcie', name: 'NVIDIA H100 PCIe 80GB', kind: 'datacenter-gpu', memoryGiB: 80, usableMemoryFraction: 1,
    memoryBandwidthGBps: 2000, tflops16: 756, tflopsFp8: 1513, topsInt8: 1513, interconnectGBps: 300,
    interconnect: 'NVLink bridge (600 GB/s), pairs only', hourlyUsd: 2.5, priceNote: assumedPrice,
    source: 'NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100)' },
  { id: 'h200', name: 'NVIDIA H200 SXM 141GB', kind: 'datacenter-gpu', memoryGiB: 141, usableMemoryFraction: 1,
    memoryBandwidthGBps: 4800, tflops16: 989, tflopsFp8: 1979, topsInt8: 1979, interconnectGBps: 450,
    interconnect: 'NVLink 4 (900 GB/s)', hourlyUsd: 3.8, priceNote: assumedPrice,
    source: 'NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200)' },
  { id: 'b200', name: 'NVIDIA B200 180GB', kind: 'datacenter-gpu', memoryGiB: 180, usableMemoryFraction: 1,
    memoryBandwidthGBps: 8000, tflops16: 2250, tflopsFp8: 4500, topsInt8: 4500, interconnectGBps: 900,
    interconnect: 'NVLink 5 (1.8 TB/s)', hourlyUsd: 6, priceNote: assumedPrice,
    source: 'NVIDIA HGX B200 datasheet, per-GPU share (nvidia.com/en-us/data-center/hgx)' },
  { id: 'mi300x', name: 'AMD Instinct MI300X 192GB', kind: 'datacenter-gpu', memoryGiB: 192, usableMemoryFraction: 1,
    memoryBandwidthGBps: 5300, tflops16: 1307.4, tflopsFp8: 2614.9, topsInt8: 2614.9, interconnectGBps: 448,
    interconnect: 'Infinity Fabric (896 GB/s aggregate)', hourlyUsd: 2.5, priceNote: assumedPrice,
    source: 'AMD Instinct MI300X data sheet (amd.com/en/products/accelerators/instinct/mi300/mi300x.html)' },
  { id: 'rtx-4090', name: 'NVIDIA GeForce RTX 4090 24GB', kind: 'workstation-gpu', memoryGiB: 24, usableMemoryFraction: 1,
    memoryBandwidthGBps: 1008, tflops16: 165.2, tflopsFp8: 330.3, topsInt8: 660.6, ...pcie4, hourlyUsd: 0.4,
    priceNote: assumedPrice, source: 'NVIDIA Ada Lovelace architecture whitepaper, appendix table (RTX 4090)' },
  { id: 'rtx-3090', name: 'NVIDIA GeForce RTX 3090 24GB', kind: 'workstation-gpu', memoryGiB: 24, usableMemoryFraction: 1,
    memoryBandwidthGBps: 936, tflops16: 71, topsInt8: 284, ...pcie4, hourlyUsd: 0.25, priceNote: assumedPrice,
    source: 'NVIDIA Ampere GA102 whitepaper, appendix table (RTX 3090)' },
  // Apple publishes memory bandwidth but no GPU FLOPS; the FP16 figures are estimates (GPU cores × 128 ALUs × 2 × clock).
  { id: 'm2-ultra', name: 'Apple M2 Ultra (76-core GPU, 192GB)', kind: 'apple-silicon', memoryGiB: 192,
    usableMemoryFraction: 0.75, memoryBandwidthGBps: 800, tflops16: 27.2, interconnect: 'unified memory',
    hourlyUsd: 0.21, priceNote: amortised, source: 'Apple Mac Studio (2023) technical specifications' },
  { id: 'm3-max', name: 'Apple M3 Max (40-core GPU, 128GB)', kind: 'apple-silicon', memoryGiB: 128,
    usableMemoryFraction: 0.75, memoryBandwidthGBps: 400, tflops16: 16.4, interconnect: 'unified memory',
    hourlyUsd: 0.18, priceNote: amortised, source: 'Apple MacBook Pro (M3 Max, 2023) technical specifications' },
  { id: 'm4-max', name: 'Apple M4 Max (40-core GPU, 128GB)', kind: 'apple-silicon', memoryGiB: 128,
    usableMemoryFraction: 0.75, memoryBandwidthGBps: 546, tflops16: 18.4, interconnect: 'unified memory',
    hourlyUsd: 0.18, priceNote: amortised, source: 'Apple MacBook Pro (M4 Max, 2024) technical specifications' },
];

export const hardware: ReadonlyMap<string, Hardware> = new Map(catalogue.map((h) => [h.id, h]));

/** Short names people type: `h100` is the SXM part, `a100` the 80 GB one. */
const aliases: Readonly<Record<string, string>> = { h100: 'h100-sxm', a100: 'a100-80gb', '4090': 'rtx-4090', '3090': 'rtx-3090' };

export function findHardware(id: string): Hardware | undefined {
  const key = id.toLowerCase();
  return hardware.get(aliases[key] ?? key);
}
