import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		testTimeout: 30_000,
		hookTimeout: 30_000,
		// Real claude processes are CPU-heavy; two files at a time keeps a 2-core machine responsive.
		maxWorkers: 2,
	},
});
