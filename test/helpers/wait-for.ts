/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes; the error names what was awaited.
 *
 * Between two looks it pauses `intervalMs`, or as long as the last look took when that was longer: a look that starts a
 * CLI (a third of a second of CPU or more) then keeps at most half a core busy instead of a whole one, which the workers
 * under test need on a small machine. A look that takes no time is repeated every `intervalMs`, as before.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 25): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		const started = Date.now();
		try {
			const value = await check();
			if (value) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline)
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
		await new Promise(resolve => setTimeout(resolve, Math.max(intervalMs, Date.now() - started)));
	}
}
