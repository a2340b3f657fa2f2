import { defineConfig } from 'vitest/config';

// Two tiers (see README): `unit` needs nothing but Node; `interop` drives real peers
// (sipp, baresip, Kamailio, Redis, network namespaces) and needs root and Debian packages.
export default defineConfig({
  test: {
    // The interop tier may be empty on a fresh checkout; an empty tier is not a failure.
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/interop/**', 'test/cluster/**'],
          testTimeout: 20_000,
          globalSetup: ['test/conformance/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts', 'test/cluster/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
