// The account usage limit of a subscription (research/usage-limits.md), as claude 2.1.330 reads it from the
// `anthropic-ratelimit-unified-*` headers: a rejected request is a 429 naming the reset and the limit that was
// hit; a warning rides on an ordinary 200.
import type {ServerResponse} from 'node:http';

/** claude's names for the limits (its rateLimitType); the 5-hour and weekly windows have headers of their own. */
export type UsageLimitKind = 'five_hour' | 'seven_day' | (string & {});

export type UsageLimitState = {
	/** Epoch ms; requests are rejected before it and answered normally from it on. */
	until: number;
	kind: UsageLimitKind;
};

export type UsageWarning = {
	kind: UsageLimitKind;
	/** Epoch ms of the window's reset the warning names; an hour from the answer when absent. */
	resetsAt?: number;
	/** The share of the window used, 0–1. */
	utilization: number;
};

const WINDOW_PREFIXES: Record<string, string> = {five_hour: '5h', seven_day: '7d'};

/** The headers are whole Unix seconds; rounding up keeps the stated reset from coming before the real one. */
function unixSeconds(epochMs: number): string {
	return String(Math.ceil(epochMs / 1000));
}

function windowHeaders(kind: string, fields: Record<string, string>): Record<string, string> {
	const prefix = WINDOW_PREFIXES[kind];
	if (!prefix) return {};
	return Object.fromEntries(Object.entries(fields).map(([field, value]) => [`anthropic-ratelimit-unified-${prefix}-${field}`, value]));
}

export function sendUsageLimited(response: ServerResponse, id: number, limit: UsageLimitState, now: number): void {
	const reset = unixSeconds(limit.until);
	response.writeHead(429, {
		'content-type': 'application/json',
		'request-id': `req_mock_${id}`,
		// What the API sends; with an API key claude retries after it, on a subscription it gives up at once.
		'retry-after': String(Math.max(1, Math.ceil((limit.until - now) / 1000))),
		'anthropic-ratelimit-unified-status': 'rejected',
		'anthropic-ratelimit-unified-reset': reset,
		'anthropic-ratelimit-unified-representative-claim': limit.kind,
		...windowHeaders(limit.kind, {reset, utilization: '1', status: 'rejected'}),
	});
	response.end(
		JSON.stringify({
			type: 'error',
			error: {type: 'rate_limit_error', message: "This request would exceed your account's rate limit. Please try again later."},
		}),
	);
}

/**
 * Headers for a 200 that warns the limit is near. claude reports the top-level `allowed_warning` as plain
 * `allowed`; it says allowed_warning only when a window's `surpassed-threshold` header is present.
 */
export function usageWarningHeaders(warning: UsageWarning, now: number): Record<string, string> {
	const reset = unixSeconds(warning.resetsAt ?? now + 3_600_000);
	const utilization = String(warning.utilization);
	return {
		'anthropic-ratelimit-unified-status': 'allowed_warning',
		'anthropic-ratelimit-unified-reset': reset,
		'anthropic-ratelimit-unified-representative-claim': warning.kind,
		...windowHeaders(warning.kind, {reset, utilization, status: 'allowed_warning', 'surpassed-threshold': '0.9'}),
	};
}
