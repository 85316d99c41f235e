/**
 * How each catalogue GPU is requested and scheduled in Kubernetes: the device plugin's extended resource and the
 * node label that picks the model of card. NVIDIA labels are GPU Feature Discovery's `nvidia.com/gpu.product`
 * values; AMD's are the ROCm node labeller's PCI device id. Managed clouds label nodes their own way (GKE
 * `cloud.google.com/gke-accelerator`, EKS instance types): pass `nodeSelector` to use those instead.
 */
export type AcceleratorVendor = 'nvidia' | 'amd';

export interface AcceleratorScheduling {
  vendor: AcceleratorVendor;
  /** Extended resource the device plugin advertises; a replica requests tensor-parallel × 1 of it. */
  resource: string;
  nodeSelector: Record<string, string>;
}

const nvidia = (product: string): AcceleratorScheduling => ({
  vendor: 'nvidia',
  resource: 'nvidia.com/gpu',
  nodeSelector: { 'nvidia.com/gpu.product': product },
});

const scheduling: Readonly<Record<string, AcceleratorScheduling>> = {
  a10g: nvidia('NVIDIA-A10G'),
  l4: nvidia('NVIDIA-L4'),
  l40s: nvidia('NVIDIA-L40S'),
  'a100-40gb': nvidia('NVIDIA-A100-SXM4-40GB'),
  'a100-80gb': nvidia('NVIDIA-A100-SXM4-80GB'),
  'h100-sxm': nvidia('NVIDIA-H100-80GB-HBM3'),
  'h100-pcie': nvidia('NVIDIA-H100-PCIe'),
  h200: nvidia('NVIDIA-H200'),
  b200: nvidia('NVIDIA-B200'),
  'rtx-4090': nvidia('NVIDIA-GeForce-RTX-4090'),
  'rtx-3090': nvidia('NVIDIA-GeForce-RTX-3090'),
  mi300x: { vendor: 'amd', resource: 'amd.com/gpu', nodeSelector: { 'amd.com/gpu.device-id': '74a1' } },
};

/** Undefined for hardware Kubernetes does not schedule (Apple silicon). */
export function acceleratorScheduling(hardwareId: string): AcceleratorScheduling | undefined {
  return scheduling[hardwareId];
}
