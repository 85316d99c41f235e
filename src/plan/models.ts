/**
 * Model architectures the planner knows. Every number comes from the model's config.json on Hugging Face (linked per
 * entry); parameter counts are the ones the model card publishes. Add a model by adding an entry: nothing else in
 * `plan/` branches on a model's name.
 */

export interface MixtureOfExperts {
  /** Routed experts per MoE layer (`num_local_experts` / `n_routed_experts`). */
  experts: number;
  /** Routed experts each token goes through (`num_experts_per_tok`). */
  activeExperts: number;
  /** Always-on shared experts per MoE layer (`n_shared_experts`; 0 for Mixtral). */
  sharedExperts: number;
  /** Hidden width of one expert's MLP (`moe_intermediate_size`, or `intermediate_size` for Mixtral). */
  expertIntermediateSize: number;
  /** Layers whose MLP is a mixture of experts (DeepSeek-V3 keeps its first 3 layers dense). */
  moeLayers: number;
}

/**
 * Multi-head latent attention (DeepSeek-V2/V3): the cache holds one compressed latent of `kvLoraRank` plus a shared
 * RoPE key of `ropeHeadDim` per token and layer, for all heads together. This is what vLLM and SGLang store with
 * their MLA kernels, so the KV size below is exact for them, not an approximation; engines without MLA kernels
 * expand it to full per-head K and V (about 57× larger for DeepSeek-V3) and are not modelled.
 */
export interface LatentAttention {
  kvLoraRank: number;
  ropeHeadDim: number;
}

export interface ModelConfig {
  id: string;
  name: string;
  /** Where the architecture numbers come from. */
  source: string;
  /** Hugging Face repository a deployment serves: the instruct or chat variant, same architecture as `source`. */
  repository: string;
  layers: number;
  hiddenSize: number;
  attentionHeads: number;
  kvHeads: number;
  /** Query/key width per head. */
  headDim: number;
  /** Value width per head, where it differs from `headDim` (MLA). */
  valueHeadDim?: number;
  /** MLP hidden width of dense layers. */
  intermediateSize: number;
  vocabSize: number;
  /** Input embedding and LM head share one matrix. */
  tiedEmbeddings: boolean;
  totalParams: number;
  /** Parameters each token passes through: equals `totalParams` for dense models. */
  activeParams: number;
  /** Native context window (`max_position_embeddings`). */
  maxContext: number;
  moe?: MixtureOfExperts;
  mla?: LatentAttention;
}

const hf = (repo: string) => `https://huggingface.co/${repo}/blob/main/config.json`;

const llama31Common = { vocabSize: 128_256, tiedEmbeddings: false, maxContext: 131_072, headDim: 128, kvHeads: 8 };
const llama2Common = { vocabSize: 32_000, tiedEmbeddings: false, maxContext: 4096, headDim: 128 };

const catalogue: ModelConfig[] = [
  { id: 'llama-3.1-8b', name: 'Llama 3.1 8B', source: hf('meta-llama/Llama-3.1-8B'), repository: 'meta-llama/Llama-3.1-8B-Instruct', ...llama31Common,
    layers: 32, hiddenSize: 4096, attentionHeads: 32, intermediateSize: 14_336, totalParams: 8.03e9, activeParams: 8.03e9 },
  { id: 'llama-3.1-70b', name: 'Llama 3.1 70B', source: hf('meta-llama/Llama-3.1-70B'), repository: 'meta-llama/Llama-3.1-70B-Instruct', ...llama31Common,
    layers: 80, hiddenSize: 8192, attentionHeads: 64, intermediateSize: 28_672, totalParams: 70.6e9, activeParams: 70.6e9 },
  { id: 'llama-3.1-405b', name: 'Llama 3.1 405B', source: hf('meta-llama/Llama-3.1-405B'), repository: 'meta-llama/Llama-3.1-405B-Instruct', ...llama31Common,
    layers: 126, hiddenSize: 16_384, attentionHeads: 128, intermediateSize: 53_248, totalParams: 405.9e9, activeParams: 405.9e9 },
  { id: 'llama-3.2-1b', name: 'Llama 3.2 1B', source: hf('meta-llama/Llama-3.2-1B'), repository: 'meta-llama/Llama-3.2-1B-Instruct', ...llama31Common, headDim: 64,
    tiedEmbeddings: true, layers: 16, hiddenSize: 2048, attentionHeads: 32, intermediateSize: 8192, totalParams: 1.24e9, activeParams: 1.24e9 },
  { id: 'llama-3.2-3b', name: 'Llama 3.2 3B', source: hf('meta-llama/Llama-3.2-3B'), repository: 'meta-llama/Llama-3.2-3B-Instruct', ...llama31Common,
    tiedEmbeddings: true, layers: 28, hiddenSize: 3072, attentionHeads: 24, intermediateSize: 8192, totalParams: 3.21e9, activeParams: 3.21e9 },
  { id: 'qwen2.5-7b', name: 'Qwen2.5 7B', source: hf('Qwen/Qwen2.5-7B-Instruct'), repository: 'Qwen/Qwen2.5-7B-Instruct', vocabSize: 152_064, tiedEmbeddings: false,
    maxContext: 32_768, layers: 28, hiddenSize: 3584, attentionHeads: 28, kvHeads: 4, headDim: 128, intermediateSize: 18_944,
    totalParams: 7.62e9, activeParams: 7.62e9 },
  { id: 'qwen2.5-72b', name: 'Qwen2.5 72B', source: hf('Qwen/Qwen2.5-72B-Instruct'), repository: 'Qwen/Qwen2.5-72B-Instruct', vocabSize: 152_064, tiedEmbeddings: false,
    maxContext: 32_768, layers: 80, hiddenSize: 8192, attentionHeads: 64, kvHeads: 8, headDim: 128, intermediateSize: 29_568,
    totalParams: 72.7e9, activeParams: 72.7e9 },
  { id: 'mistral-7b', name: 'Mistral 7B v0.3', source: hf('mistralai/Mistral-7B-Instruct-v0.3'), repository: 'mistralai/Mistral-7B-Instruct-v0.3', vocabSize: 32_768,
    tiedEmbeddings: false, maxContext: 32_768, layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, headDim: 128,
    intermediateSize: 14_336, totalParams: 7.25e9, activeParams: 7.25e9 },
  { id: 'mixtral-8x7b', name: 'Mixtral 8x7B', source: hf('mistralai/Mixtral-8x7B-Instruct-v0.1'), repository: 'mistralai/Mixtral-8x7B-Instruct-v0.1', vocabSize: 32_000,
    tiedEmbeddings: false, maxContext: 32_768, layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, headDim: 128,
    intermediateSize: 14_336, totalParams: 46.7e9, activeParams: 12.9e9,
    moe: { experts: 8, activeExperts: 2, sharedExperts: 0, expertIntermediateSize: 14_336, moeLayers: 32 } },
  { id: 'mixtral-8x22b', name: 'Mixtral 8x22B', source: hf('mistralai/Mixtral-8x22B-Instruct-v0.1'), repository: 'mistralai/Mixtral-8x22B-Instruct-v0.1', vocabSize: 32_768,
    tiedEmbeddings: false, maxContext: 65_536, layers: 56, hiddenSize: 6144, attentionHeads: 48, kvHeads: 8, headDim: 128,
    intermediateSize: 16_384, totalParams: 141e9, activeParams: 39e9,
    moe: { experts: 8, activeExperts: 2, sharedExperts: 0, expertIntermediateSize: 16_384, moeLayers: 56 } },
  { id: 'deepseek-v3', name: 'DeepSeek-V3', source: hf('deepseek-ai/DeepSeek-V3'), repository: 'deepseek-ai/DeepSeek-V3', vocabSize: 129_280, tiedEmbeddings: false,
    maxContext: 163_840, layers: 61, hiddenSize: 7168, attentionHeads: 128, kvHeads: 128, headDim: 192, valueHeadDim: 128,
    intermediateSize: 18_432, totalParams: 671e9, activeParams: 37e9,
    moe: { experts: 256, activeExperts: 8, sharedExperts: 1, expertIntermediateSize: 2048, moeLayers: 58 },
    mla: { kvLoraRank: 512, ropeHeadDim: 64 } },
  // Llama 2 stays in the catalogue because most published engine benchmarks (TensorRT-LLM, lmdeploy, llama.cpp)
  // were measured on it; the validation tests need its exact shape.
  { id: 'llama-2-7b', name: 'Llama 2 7B', source: hf('meta-llama/Llama-2-7b-hf'), repository: 'meta-llama/Llama-2-7b-chat-hf', ...llama2Common,
    layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 32, intermediateSize: 11_008, totalParams: 6.74e9, activeParams: 6.74e9 },
  { id: 'llama-2-13b', name: 'Llama 2 13B', source: hf('meta-llama/Llama-2-13b-hf'), repository: 'meta-llama/Llama-2-13b-chat-hf', ...llama2Common,
    layers: 40, hiddenSize: 5120, attentionHeads: 40, kvHeads: 40, intermediateSize: 13_824, totalParams: 13.0e9, activeParams: 13.0e9 },
  { id: 'llama-2-70b', name: 'Llama 2 70B', source: hf('meta-llama/Llama-2-70b-hf'), repository: 'meta-llama/Llama-2-70b-chat-hf', ...llama2Common,
    layers: 80, hiddenSize: 8192, attentionHeads: 64, kvHeads: 8, intermediateSize: 28_672, totalParams: 69.0e9, activeParams: 69.0e9 },
];

export const models: ReadonlyMap<string, ModelConfig> = new Map(catalogue.map((m) => [m.id, m]));

export function findModel(id: string): ModelConfig | undefined {
  return models.get(id.toLowerCase());
}

/** Embedding table plus LM head (one matrix when tied). */
export function embeddingParams(model: ModelConfig): number {
  return model.vocabSize * model.hiddenSize * (model.tiedEmbeddings ? 1 : 2);
}

/** Parameters of one routed expert: gate, up and down projections. */
export function expertParams(model: ModelConfig): number {
  return model.moe ? 3 * model.hiddenSize * model.moe.expertIntermediateSize : 0;
}

/** All routed-expert weights; the rest of the model (attention, embeddings, dense and shared MLPs) is read every step. */
export function routedExpertParams(model: ModelConfig): number {
  return model.moe ? model.moe.moeLayers * model.moe.experts * expertParams(model) : 0;
}

/**
 * Parameter count implied by the architecture (attention, gated MLP or experts, embeddings; norms and biases
 * ignored). Used to cross-check catalogue entries; MLA's low-rank projections are not modelled, so it is not
 * meaningful for DeepSeek.
 */
export function paramsFromArchitecture(model: ModelConfig): number {
  const { hiddenSize: h, attentionHeads, kvHeads, headDim, layers } = model;
  const valueDim = model.valueHeadDim ?? headDim;
  const attention = h * attentionHeads * headDim + h * kvHeads * (headDim + valueDim) + attentionHeads * valueDim * h;
  const moeLayers = model.moe?.moeLayers ?? 0;
  const denseMlp = 3 * h * model.intermediateSize * (layers - moeLayers);
  const moeMlp = model.moe ? moeLayers * ((model.moe.experts + model.moe.sharedExperts) * expertParams(model) + h * model.moe.experts) : 0;
  return layers * attention + denseMlp + moeMlp + embeddingParams(model);
}
