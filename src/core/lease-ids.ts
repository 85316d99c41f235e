/**
 * Lease ids: what names one request's concurrency slots and budget reservation in a store every replica shares
 * (Redis sorted-set members, hash fields). A random part drawn once per process keeps replicas apart; a counter
 * makes each id unique within the process, so the hot path draws no random bytes (it was one `randomUUID` per
 * stage per request).
 */
import { randomBytes } from 'node:crypto';

/** 72 random bits: two processes sharing a prefix is as unlikely as two UUIDs colliding in practice. */
const processPart = `${randomBytes(9).toString('base64url')}:`;
let issued = 0;

export function nextLeaseId(): string {
  issued += 1;
  return processPart + String(issued);
}
