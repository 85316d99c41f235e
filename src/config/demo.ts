/**
 * The configuration used when there is no `switchyard.yaml`: the simulated engine always, plus the hosted
 * providers whose keys are in the environment, so `npm start` answers `curl` on a fresh machine.
 */
import type { SwitchyardConfigInput } from './schema.js';

type Env = Record<string, string | undefined>;

export function demoConfig(env: Env): SwitchyardConfigInput {
  const config = {
    server: { port: env.PORT ? Number(env.PORT) : 8400 },
    auth: env.SWITCHYARD_MASTER_KEY ? { master_key: '${env:SWITCHYARD_MASTER_KEY}' } : {},
    providers: { sim: { type: 'sim' } },
    models: {
      'sim-small': { deployments: [{ provider: 'sim', model: 'sim-small' }], context_window: 32768, owned_by: 'switchyard' },
      'sim-large': { deployments: [{ provider: 'sim', model: 'sim-large' }], context_window: 131072, owned_by: 'switchyard' },
      'sim-embed': { deployments: [{ provider: 'sim', model: 'sim-embed' }], kind: 'embedding', owned_by: 'switchyard' },
    },
    aliases: {
      'chat-default': { targets: [{ model: 'sim-small' }] },
      fast: { targets: [{ model: 'sim-small' }] },
      smart: { targets: [{ model: 'sim-large' }] },
    },
  } satisfies SwitchyardConfigInput;
  const out: SwitchyardConfigInput = config;
  if (env.OPENAI_API_KEY) {
    out.providers.openai = { type: 'openai', api_key: '${env:OPENAI_API_KEY}' };
    out.models['gpt-4o-mini'] = { deployments: [{ provider: 'openai', model: 'gpt-4o-mini' }], fallbacks: ['sim-small'] };
    out.models['text-embedding-3-small'] = {
      deployments: [{ provider: 'openai', model: 'text-embedding-3-small' }],
      kind: 'embedding',
    };
  }
  if (env.ANTHROPIC_API_KEY) {
    out.providers.anthropic = { type: 'anthropic', api_key: '${env:ANTHROPIC_API_KEY}' };
    out.models['claude-sonnet-4-5'] = { deployments: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }] };
  }
  if (env.GEMINI_API_KEY) {
    out.providers.gemini = { type: 'gemini', api_key: '${env:GEMINI_API_KEY}' };
    out.models['gemini-2.5-flash'] = { deployments: [{ provider: 'gemini', model: 'gemini-2.5-flash' }] };
  }
  return out;
}
