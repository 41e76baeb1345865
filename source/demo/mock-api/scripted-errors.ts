// Anthropic-shaped error answers, and the `[[status:CODE:N]]` script that fails the first N turns of a prompt.
import type {ServerResponse} from 'node:http';
import type {StatusDirective} from './directives.js';

const errorTypes: Record<number, string> = {
	400: 'invalid_request_error',
	401: 'authentication_error',
	403: 'permission_error',
	404: 'not_found_error',
	413: 'request_too_large',
	429: 'rate_limit_error',
	500: 'api_error',
	529: 'overloaded_error',
};

/** `retry-after: 0` lets claude retry at once, so a scripted failure costs no waiting. */
export function sendError(response: ServerResponse, id: number, status: number, message: string): void {
	response.writeHead(status, {
		'content-type': 'application/json',
		'retry-after': '0',
		'request-id': `req_mock_${id}`,
	});
	response.end(
		JSON.stringify({
			type: 'error',
			error: {type: errorTypes[status] ?? 'api_error', message},
		}),
	);
}

/**
 * Returns a function that answers with an error while a `[[status]]` directive still has failures to serve,
 * and says whether it did.
 */
export function createScriptedErrors(): (response: ServerResponse, id: number, status: StatusDirective) => boolean {
	// Keyed by the text of the prompt that carries the directive, so workers with different prompts count
	// separately; retries of one turn resend the same prompt and so share a counter.
	const served = new Map<string, number>();
	return (response, id, status) => {
		const key = status.messageText;
		const count = served.get(key) ?? 0;
		if (count >= status.count) {
			return false;
		}

		served.set(key, count + 1);
		sendError(response, id, status.code, `Mock ${status.code} (${count + 1} of ${status.count})`);
		return true;
	};
}
