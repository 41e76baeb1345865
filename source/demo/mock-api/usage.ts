// Token counts for the answers: rough, but shaped like the real API's so transcripts carry usage and cost.
import type {MessagesBody} from './request.js';
import type {Plan} from './reply-plan.js';

export type Usage = {
	input_tokens: number;
	output_tokens: number;
	cache_creation_input_tokens: number;
	cache_read_input_tokens: number;
};

function estimateTokens(value: unknown): number {
	if (value === undefined) {
		return 0;
	}

	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return Math.max(1, Math.ceil(text.length / 4));
}

// Mimics prompt caching: the system prompt and tools are written to the cache on a conversation's first
// request and read from it afterwards, so transcripts show both cache fields being used.
export function inputUsage(body: MessagesBody): Omit<Usage, 'output_tokens'> {
	const prefix = estimateTokens(body.system) + estimateTokens(body.tools);
	const firstRequest = !(body.messages ?? []).some(message => message.role === 'assistant');
	return {
		input_tokens: estimateTokens(body.messages),
		cache_creation_input_tokens: firstRequest ? prefix : 0,
		cache_read_input_tokens: firstRequest ? 0 : prefix,
	};
}

export function outputTokens(plan: Plan): number {
	return estimateTokens(plan.text) + (plan.kind === 'tool' ? estimateTokens(plan.input) + 10 : 0);
}
