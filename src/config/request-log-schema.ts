/** The `request_log` section (DESIGN.md §10): what each request's log record holds and where it goes. */
import { z } from 'zod';

/** JSON fields whose values never reach the log, whatever the model or tool calls them (matched case-insensitively). */
export const defaultRedactedFields = ['api_key', 'apikey', 'authorization', 'x-api-key', 'password', 'secret', 'token', 'access_token', 'refresh_token', 'client_secret'];

export const requestLogConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Write records to the store's `request_log` table (PGlite or PostgreSQL; memory keeps a bounded window). */
  store: z.boolean().default(true),
  /** Write each record as one JSON line to stdout, instead of or besides the store. */
  stdout: z.boolean().default(false),
  /** Keep request and response bodies (redacted, truncated). Off by default: bodies hold user data. */
  bodies: z.boolean().default(false),
  /** Longest body kept, bytes of UTF-8; longer ones are cut and marked. */
  max_body_bytes: z.number().int().positive().max(1024 * 1024).default(16 * 1024),
  /** Records waiting for the store; beyond it new records are dropped and counted, never waited for. */
  queue_size: z.number().int().min(1).max(1_000_000).default(10_000),
  /** With `store.driver: memory`, how many of the newest records are kept (the oldest go first). */
  memory_records: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Records per INSERT. */
  batch_size: z.number().int().min(1).max(1000).default(200),
  /** The longest a record waits before its batch is written. */
  flush_interval_ms: z.number().int().min(10).max(60_000).default(1000),
  /** Records older than this are deleted (checked hourly); 0 keeps them forever. */
  retention_days: z.number().min(0).max(3650).default(30),
  /** More JSON fields to redact in bodies, added to the built-in list (`api_key`, `password`, `token`, …). */
  redact_fields: z.array(z.string().min(1)).default([]),
});

export type RequestLogConfig = z.output<typeof requestLogConfigSchema>;
