// Writes a planned answer as the Messages API does: server-sent events when the request streams, one JSON
// message otherwise.
import type {ServerResponse} from 'node:http';
import type {Plan} from './reply-plan.js';
import type {MessagesBody} from './request.js';
import {inputUsage, outputTokens, type Usage} from './usage.js';

/**
 * How often a slow answer sends `event: ping` while it holds the content back. claude drops a stream that stays
 * silent for a while and retries the request (a `[[slow:20000]]` turn ended after about 7 s and was asked again);
 * the real API pings, so a slow model keeps the stream, and the worker, busy for as long as it is slow.
 */
export const PING_INTERVAL_MS = 1000;

/** Waits `ms`, calling `tick` every PING_INTERVAL_MS meanwhile; stops early once `isGone` says the client left. */
async function waitWithPings(ms: number, tick: () => void, isGone: () => boolean): Promise<void> {
	const end = Date.now() + ms;
	while (!isGone()) {
		const left = end - Date.now();
		if (left <= 0) return;
		await new Promise<void>(resolve => {
			setTimeout(resolve, Math.min(left, PING_INTERVAL_MS));
		});
		if (Date.now() < end && !isGone()) tick();
	}
}

function messageSkeleton(id: number, model: string, usage: Usage) {
	return {
		id: `msg_mock_${id}`,
		type: 'message',
		role: 'assistant',
		model,
		content: [] as unknown[],
		stop_reason: null,
		stop_sequence: null,
		usage,
	};
}

function contentBlocks(id: number, plan: Plan) {
	const blocks: Array<Record<string, unknown>> = [{type: 'text', text: plan.text}];
	if (plan.kind === 'tool') {
		blocks.push({type: 'tool_use', id: `toolu_mock_${id}`, name: plan.name, input: plan.input});
	}

	return blocks;
}

/** `message_start` goes out at once and the content after `delayMs` (with pings meanwhile), as a slow model looks to claude. */
async function writeStream(response: ServerResponse, id: number, body: MessagesBody, plan: Plan, delayMs: number, headers: Record<string, string>) {
	const model = body.model ?? 'claude-mock';
	const usage = {...inputUsage(body), output_tokens: 1};
	const write = (event: string, data: unknown) => {
		if (!response.destroyed) {
			response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
		}
	};

	response.writeHead(200, {
		'content-type': 'text/event-stream',
		'cache-control': 'no-cache',
		'request-id': `req_mock_${id}`,
		...headers,
	});
	write('message_start', {type: 'message_start', message: messageSkeleton(id, model, usage)});
	if (delayMs > 0) {
		await waitWithPings(
			delayMs,
			() => write('ping', {type: 'ping'}),
			() => response.destroyed || response.writableEnded,
		);
	}

	contentBlocks(id, plan).forEach((block, index) => {
		if (block['type'] === 'text') {
			write('content_block_start', {type: 'content_block_start', index, content_block: {type: 'text', text: ''}});
			write('content_block_delta', {type: 'content_block_delta', index, delta: {type: 'text_delta', text: block['text']}});
		} else {
			write('content_block_start', {
				type: 'content_block_start',
				index,
				content_block: {type: 'tool_use', id: block['id'], name: block['name'], input: {}},
			});
			write('content_block_delta', {
				type: 'content_block_delta',
				index,
				delta: {type: 'input_json_delta', partial_json: JSON.stringify(block['input'])},
			});
		}

		write('content_block_stop', {type: 'content_block_stop', index});
	});
	write('message_delta', {
		type: 'message_delta',
		delta: {stop_reason: plan.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null},
		usage: {...usage, output_tokens: outputTokens(plan)},
	});
	write('message_stop', {type: 'message_stop'});
	response.end();
}

function writeJson(response: ServerResponse, id: number, body: MessagesBody, plan: Plan, headers: Record<string, string>) {
	response.writeHead(200, {'content-type': 'application/json', 'request-id': `req_mock_${id}`, ...headers});
	response.end(
		JSON.stringify({
			...messageSkeleton(id, body.model ?? 'claude-mock', {...inputUsage(body), output_tokens: outputTokens(plan)}),
			content: contentBlocks(id, plan),
			stop_reason: plan.kind === 'tool' ? 'tool_use' : 'end_turn',
		}),
	);
}

/** Answers in the shape the request asked for; `delayMs` only applies to a stream. */
export async function writeMessage(
	response: ServerResponse,
	id: number,
	body: MessagesBody,
	plan: Plan,
	delayMs: number,
	headers: Record<string, string> = {},
): Promise<void> {
	if (body.stream) {
		await writeStream(response, id, body, plan, delayMs, headers);
	} else {
		writeJson(response, id, body, plan, headers);
	}
}
