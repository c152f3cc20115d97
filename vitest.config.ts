import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'stand-ins/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Google client libraries probe the metadata server when they find no credentials.
    env: { METADATA_SERVER_DETECTION: 'none' },
    pool: 'forks',
    // Process and emulator tests start real servers; on a busy 2-core CI machine 5 s is not enough
    // for a cold Functions Framework process. Speed is measured in `npm run bench`, not here.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
