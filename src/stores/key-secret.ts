/** Key secrets, their peppered hashes and record ids: the same for every store implementation. */
import { createHmac, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'sk-sy-';
/** 43 base62 characters carry 256 bits. */
const SECRET_LENGTH = 43;
/** Characters of the secret kept for display (`sk-sy-` + 6). */
const DISPLAY_LENGTH = KEY_PREFIX.length + 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 from `crypto.randomBytes`: bytes ≥ 248 are dropped so `% 62` has no bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length - out.length + 8)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateKeySecret(): string {
  return KEY_PREFIX + randomBase62(SECRET_LENGTH);
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_LENGTH);
}

export function looksLikeKey(credential: string): boolean {
  return credential.startsWith(KEY_PREFIX) && credential.length === KEY_PREFIX.length + SECRET_LENGTH;
}

/** HMAC-SHA-256 with the server pepper: a leaked table is useless without the pepper, which is not in it. */
export function keyHasher(pepper: string): (secret: string) => string {
  return (secret) => createHmac('sha256', pepper).update(secret).digest('hex');
}

/** A value derived from the pepper and stored beside the keys, so starting with a different pepper is caught. */
export function pepperFingerprint(pepper: string): string {
  return createHmac('sha256', pepper).update('switchyard:pepper-fingerprint:v1').digest('hex').slice(0, 16);
}

let lastMs = 0;
let sequence = 0;

/**
 * `<prefix>_<ms><sequence><random>`: ids sort by creation time (keyset pagination), in creation order within a
 * process (the sequence orders ids made in the same millisecond), and never collide in practice.
 */
export function newId(prefix: 'ten' | 'key'): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    sequence += 1;
  }
  return `${prefix}_${lastMs.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBase62(10)}`;
}

/** Operator-chosen tenant ids: short, URL- and log-safe. */
export const tenantIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
