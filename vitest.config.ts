import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'stand-ins/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Google client libraries probe the metadata server when they find no credentials.
    env: { METADATA_SERVER_DETECTION: 'none' },
    pool: 'forks',
  },
});
