import type {UsageLimitReport} from '../../core/ports/worker-driver.js';
import {clip} from './tool-text.js';

/** claude's rate_limit_info (SDKRateLimitEvent); resetsAt is in Unix seconds. */
export type RateLimitInfo = {status?: string; resetsAt?: number; rateLimitType?: string};

/** The fields ccfleet reads of claude's stream-json lines (research/claude-cli.md B); all else is ignored. */
export type StreamMessage = {
	type?: string;
	subtype?: string;
	state?: string;
	request_id?: string;
	request?: {subtype?: string; tool_name?: string; input?: Record<string, unknown>; tool_use_id?: string};
	message?: {content?: unknown};
	result?: string;
	is_error?: boolean;
	errors?: string[];
	total_cost_usd?: number;
	usage?: {input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number};
	error?: string;
	/** On a rate_limit_event. */
	rate_limit_info?: RateLimitInfo;
	/** On the synthetic assistant message of a refused request: `usage_limit_reached` and the limit's info. */
	api_error?: string;
	api_error_params?: {rate_limit_info?: RateLimitInfo};
};

const LIMIT_STATUSES: ReadonlySet<string> = new Set(['allowed', 'allowed_warning', 'rejected']);

/** A rate_limit_info as the port's report; undefined when its status is not one the port knows. */
export function usageLimitReport(info: RateLimitInfo | undefined): UsageLimitReport | undefined {
	if (!info?.status || !LIMIT_STATUSES.has(info.status)) return undefined;
	const report: UsageLimitReport = {status: info.status as UsageLimitReport['status']};
	if (typeof info.resetsAt === 'number' && Number.isFinite(info.resetsAt)) report.resetsAt = info.resetsAt * 1000;
	if (typeof info.rateLimitType === 'string') report.kind = info.rateLimitType;
	return report;
}

/** One stdout line as a message; undefined for a line that is not part of the protocol. */
export function parseStreamLine(line: string): StreamMessage | undefined {
	try {
		const parsed: unknown = JSON.parse(line);
		return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
	} catch {
		return undefined;
	}
}

export type ContentBlock = {type?: string; text?: unknown; name?: unknown; input?: unknown; content?: unknown};

export function contentBlocks(content: unknown): ContentBlock[] {
	return Array.isArray(content) ? (content as ContentBlock[]) : [];
}

/** A tool result's content on one line, for the output log. */
export function toolResultLine(content: unknown): string {
	const text =
		typeof content === 'string' ? content : Array.isArray(content) ? content.map(part => (part as {text?: string}).text ?? '').join(' ') : JSON.stringify(content ?? '');
	return clip(text);
}

/** One user turn, as a line for claude's stdin. */
export function userMessage(text: string): object {
	return {type: 'user', message: {role: 'user', content: text}};
}
