import { z } from 'zod';
import { configSchema } from './schema.js';

/** JSON Schema of the config file as users write it (defaults make fields optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Switchyard configuration (switchyard.yaml)',
  };
}
