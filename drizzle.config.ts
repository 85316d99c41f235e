/** drizzle-kit: `npm run db:generate` diffs src/stores/sql/schema.ts and writes the next SQL migration. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/stores/sql/schema.ts',
  out: './src/stores/sql/migrations',
});
