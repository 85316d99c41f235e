/**
 * Number formats for weights and the KV cache: how many bytes a parameter or a cached element takes, and which
 * tensor-core rate its matrix multiplications run at.
 */

export type WeightDtype = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4' | 'gguf-q8_0' | 'gguf-q4_k_m' | 'gguf-q4_0';
export type KvDtype = 'fp16' | 'bf16' | 'fp8';

/** The tensor-core rate a format's GEMMs run at; weight-only formats dequantise to 16-bit and run there. */
export type ComputeClass = '16bit' | 'fp8' | 'int8' | 'fp32';

export interface WeightFormat {
  id: WeightDtype;
  /** Average storage per parameter, scales and block metadata included. */
  bitsPerWeight: number;
  compute: ComputeClass;
  /**
   * Quantised checkpoints (FP8, INT8, AWQ/GPTQ INT4) keep the embedding table and LM head in 16-bit: llm-compressor
   * and ModelOpt exclude `lm_head` by default. GGUF bits-per-weight figures are file averages that already count them.
   */
  embeddingsIn16Bit: boolean;
  note: string;
}

export const weightFormats: Readonly<Record<WeightDtype, WeightFormat>> = {
  fp32: { id: 'fp32', bitsPerWeight: 32, compute: 'fp32', embeddingsIn16Bit: false, note: 'full precision' },
  fp16: { id: 'fp16', bitsPerWeight: 16, compute: '16bit', embeddingsIn16Bit: false, note: 'half precision' },
  bf16: { id: 'bf16', bitsPerWeight: 16, compute: '16bit', embeddingsIn16Bit: false, note: 'bfloat16, the usual checkpoint format' },
  fp8: { id: 'fp8', bitsPerWeight: 8, compute: 'fp8', embeddingsIn16Bit: true, note: 'W8A8 FP8 (E4M3); 16-bit GEMMs where the GPU has no FP8' },
  int8: { id: 'int8', bitsPerWeight: 8, compute: 'int8', embeddingsIn16Bit: true, note: 'W8A8 INT8 (SmoothQuant-style)' },
  int4: { id: 'int4', bitsPerWeight: 4, compute: '16bit', embeddingsIn16Bit: true, note: 'W4A16 (AWQ/GPTQ), group scales ignored' },
  // llama.cpp reports LLaMA-7B (6.74 B params) as 6.67 GiB in Q8_0, 3.80 GiB in Q4_K_M and 3.56 GiB in Q4_0
  // (llama-bench tables in ggml-org/llama.cpp PRs #2917 and #3084): 8.50, 4.84 and 4.54 bits per weight.
  'gguf-q8_0': { id: 'gguf-q8_0', bitsPerWeight: 8.5, compute: '16bit', embeddingsIn16Bit: false, note: 'GGUF Q8_0 (llama.cpp, Ollama)' },
  'gguf-q4_k_m': { id: 'gguf-q4_k_m', bitsPerWeight: 4.85, compute: '16bit', embeddingsIn16Bit: false, note: 'GGUF Q4_K_M (llama.cpp, Ollama)' },
  'gguf-q4_0': { id: 'gguf-q4_0', bitsPerWeight: 4.5, compute: '16bit', embeddingsIn16Bit: false, note: 'GGUF Q4_0 (llama.cpp, Ollama)' },
};

export const kvBytesPerElement: Readonly<Record<KvDtype, number>> = { fp16: 2, bf16: 2, fp8: 1 };

export function isWeightDtype(value: string): value is WeightDtype {
  return Object.hasOwn(weightFormats, value);
}

export function isKvDtype(value: string): value is KvDtype {
  return Object.hasOwn(kvBytesPerElement, value);
}
