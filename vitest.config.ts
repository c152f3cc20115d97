import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Google client libraries probe the metadata server when they find no credentials.
    env: { METADATA_SERVER_DETECTION: 'none' },
    pool: 'forks',
    // Many tests spawn processes or race writers on an emulator: seconds on an idle machine, more when
    // other work shares the CPU. The bound is there to catch a hang, not to measure speed.
    testTimeout: 30_000,
  },
});
