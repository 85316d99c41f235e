/**
 * The shape of the objects the manifest generator emits: plain JSON trees with the fields every Kubernetes object
 * has. The schemas they must satisfy live in the test suite (kubernetes-models validators), not here, so the
 * generator stays dependency-free.
 */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json | undefined;
}

export interface ObjectMeta extends JsonObject {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubernetesObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: JsonObject;
}

/** Lowercase letters, digits and dashes, starting with a letter, at most 63 characters (DNS-1035, what Services need). */
export function dnsLabel(text: string): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'model' : label;
}
