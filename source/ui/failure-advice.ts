/**
 * What to do about a task that failed for a reason outside the task: claude not logged in, or the API out of reach.
 * The words are matched loosely, as claude says them in several places (its screen, a stream error, an exit).
 */
const ADVICE: ReadonlyArray<{pattern: RegExp; advice: string}> = [
	{
		pattern: /not logged in|\/login|authentication_failed|authentication_error|invalid (x-)?api[ -]?key|\b401\b|oauth token/i,
		advice: 'claude is not logged in for the fleet: run `claude` and /login as this user, or set ANTHROPIC_API_KEY where ccfleet starts; then r retries.',
	},
	{
		pattern: /unable to connect|cannot reach|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|fetch failed|connection error|check your network/i,
		advice: 'claude could not reach the API: check the network, a proxy (HTTPS_PROXY) and ANTHROPIC_BASE_URL; then r retries.',
	},
];

/** The advice for a failure reason, or undefined when the reason is the task's own. */
export function failureAdvice(reason: string | undefined): string | undefined {
	if (!reason) return undefined;
	return ADVICE.find(entry => entry.pattern.test(reason))?.advice;
}
