/**
 * What the manifest generator needs beyond the plan: engine, autoscaler, names and cluster specifics. Validated at
 * the edge (the `manifests` field of `POST /admin/plan`, the `switchyard plan manifests` flags) like the plan input.
 */
import { z } from 'zod';

const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and dashes, starting with a letter');
const positive = z.number().positive();

export const manifestOptionsSchema = z.strictObject({
  engine: z.enum(['vllm', 'tgi']).default('vllm'),
  /** `keda`: a ScaledObject with a Prometheus trigger; `hpa`: autoscaling/v2 on a Prometheus-adapter metric. */
  autoscaler: z.enum(['keda', 'hpa', 'none']).default('keda'),
  namespace: dnsLabel.default('default'),
  /** Name of the Deployment, Service and autoscaler; defaults to `<engine>-<model>`. */
  name: dnsLabel.optional(),
  /** Container image; defaults to the engine's pinned release for the GPU vendor. */
  image: z.string().min(1).optional(),
  /** Hugging Face repository to serve; defaults to the catalogue's instruct variant. Required for int8/int4 weights. */
  huggingFaceModel: z.string().min(1).optional(),
  /** Model name clients send (`--served-model-name`); defaults to the catalogue id, as Switchyard's config names it. */
  servedModelName: z.string().min(1).optional(),
  /** Secret holding the Hugging Face token (gated models such as Llama need one). */
  hfTokenSecret: z.strictObject({ name: z.string().min(1), key: z.string().min(1) }).default({ name: 'hf-token', key: 'token' }),
  /** Replaces the GPU-product node selector (use your cloud's node labels). */
  nodeSelector: z.record(z.string(), z.string()).optional(),
  /** Autoscaler ceiling; defaults to the replicas the plan's demand needs at peak. */
  maxReplicas: z.number().int().positive().optional(),
  /** Queueing delay the autoscaler holds: the waiting-request target per replica is its request rate × this. */
  queueDelayTargetSeconds: positive.default(2),
  /** Prometheus the KEDA trigger queries. */
  prometheusAddress: z.url().default('http://prometheus-operated.monitoring.svc:9090'),
  /** How long load must stay low before replicas are removed (HPA stabilisation window, KEDA cooldown). */
  scaleDownStabilizationSeconds: z.number().int().nonnegative().default(600),
  /** Rate weights arrive at on a cold node (download or network volume), GB/s; sizes the startup probe. */
  weightLoadGBps: positive.default(0.5),
  /** PersistentVolumeClaim holding the Hugging Face cache; an emptyDir (download on every start) when absent. */
  modelCacheClaim: dnsLabel.optional(),
});

export type ManifestOptionsInput = z.input<typeof manifestOptionsSchema>;
export type ManifestOptions = z.output<typeof manifestOptionsSchema>;
