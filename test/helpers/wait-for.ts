/** Polls `check` until it returns a truthy value or `timeoutMs` passes; the error names what was awaited. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 25): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value) return value;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline)
			throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
		await new Promise(resolve => setTimeout(resolve, intervalMs));
	}
}
