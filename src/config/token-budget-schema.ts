/**
 * A model's `context_overflow` setting (DESIGN.md §6 token budgets): what the gateway does with a request whose
 * input would not fit the model's context window. See docs/token-budgets.md.
 */
import { z } from 'zod';

export const contextOverflowSchema = z
  .strictObject({
    /**
     * `reject`: 400 context_length_exceeded. `drop_oldest`: remove the oldest turns (system messages stay; a tool
     * call stays with its results) until it fits. `keep_last`: keep the system messages and the last `keep_last`
     * messages (then drop more if still too long). `summarize`: replace the dropped turns with a summary written
     * by `summarize_with`, falling back to drop_oldest when that fails.
     */
    strategy: z.enum(['reject', 'drop_oldest', 'keep_last', 'summarize']).default('reject'),
    keep_last: z.number().int().min(1).default(8),
    /** A cheap model or alias, called through the gateway's own routing. Required for `summarize`. */
    summarize_with: z.string().min(1).optional(),
    /** Most tokens the summary may take. */
    summary_max_tokens: z.number().int().min(16).max(8192).default(512),
    /** Output tokens a request must leave room for, at the least, to count as fitting. */
    min_output_tokens: z.number().int().min(1).default(1),
  })
  .refine((overflow) => overflow.strategy !== 'summarize' || overflow.summarize_with !== undefined, {
    message: 'strategy summarize needs summarize_with (a model or alias)',
    path: ['summarize_with'],
  });

export type ContextOverflowConfig = z.output<typeof contextOverflowSchema>;
