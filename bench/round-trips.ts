// The timing loop bench/mcp-roundtrip.ts and bench/http-roundtrip.ts share: sequential calls, each timed from send to
// reply, after warm-up calls made the same way and not counted.

export const WARM_UP = 50;
export const SAMPLES = 500;

export function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export type RoundTripOptions = {
	/** A pause after each timed call (not timed), to spread the calls over more of what happens meanwhile. @default 0 */
	gapMs?: number;
	/** The width the label is padded to, so that a bench's lines align. @default 22 */
	labelWidth?: number;
};

/** Makes WARM_UP calls, then times SAMPLES more one after another, and prints p50, p99, mean, min and max. */
export async function measureRoundTrips(label: string, run: (i: number) => Promise<unknown>, {gapMs = 0, labelWidth = 22}: RoundTripOptions = {}): Promise<void> {
	for (let i = 0; i < WARM_UP; i++) await run(i);
	const times: number[] = [];
	for (let i = 0; i < SAMPLES; i++) {
		const sent = performance.now();
		await run(WARM_UP + i);
		times.push(performance.now() - sent);
		if (gapMs > 0) await new Promise(resolve => setTimeout(resolve, gapMs));
	}
	times.sort((a, b) => a - b);
	const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
	console.log(
		`${label.padEnd(labelWidth)} ${SAMPLES} sequential calls: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms ` +
			`(mean ${mean.toFixed(2)}, min ${times[0]!.toFixed(2)}, max ${times.at(-1)!.toFixed(2)})`,
	);
}
