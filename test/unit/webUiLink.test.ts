// The Web UI link `status` and `submit` print: the UI of the server the CLI talks to.
import { describe, expect, it } from 'vitest';
import { uiBaseFromEnv, webUiLink } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config/settings.js';

const configFrom = (env: Record<string, string>) => loadConfig(env, '/nonexistent');

describe('the Web UI link', () => {
  it('is on the embedded server port + 1000 when ARBITER_DEV_PORT moves it', () => {
    const config = configFrom({ ARBITER_DEV_PORT: '17233' });
    expect(webUiLink(uiBaseFromEnv(config, {}), 'default', 'contract/x')).toBe(
      'http://localhost:18233/namespaces/default/workflows/contract%2Fx',
    );
    expect(uiBaseFromEnv(configFrom({}), {})).toBe('http://localhost:8233');
  });

  it('follows TEMPORAL_ADDRESS, as a dev server there would serve it', () => {
    expect(uiBaseFromEnv(configFrom({ TEMPORAL_ADDRESS: '127.0.0.1:27233' }), {})).toBe(
      'http://localhost:28233',
    );
    expect(uiBaseFromEnv(configFrom({ TEMPORAL_ADDRESS: 'temporal.example.com:7233' }), {})).toBe(
      'http://temporal.example.com:8233',
    );
    expect(uiBaseFromEnv(configFrom({ TEMPORAL_ADDRESS: '[::1]:7233' }), {})).toBe('http://localhost:8233');
  });

  it('is ARBITER_UI_URL when that is set', () => {
    const config = configFrom({ ARBITER_DEV_PORT: '17233' });
    expect(uiBaseFromEnv(config, { ARBITER_UI_URL: 'https://ui.example.com' })).toBe(
      'https://ui.example.com',
    );
  });
});
