import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type ServerNotification, type Tool} from '@modelcontextprotocol/sdk/types.js';
import {z} from 'zod';
import {ConfigError, parseDuration, parseSize, parseUsd} from '../../config.js';
import {closestName, taskIdSchema} from '../../core/domain/task-spec.js';
import {ACCEPTS} from './task-shape.js';
import {failure, plainMessage} from './tool-result.js';
import {messageOf} from '../../core/domain/errors.js';

type Callback = (...args: unknown[]) => CallToolResult | Promise<CallToolResult>;
type ToolConfig = {
	title?: string;
	description?: string;
	inputSchema?: z.ZodRawShape | z.ZodObject;
	outputSchema?: z.ZodRawShape | z.ZodObject;
	annotations?: Tool['annotations'];
};
type Entry = {schema: z.ZodObject | undefined; callback: Callback; definition: Tool};

const asObject = (schema: z.ZodRawShape | z.ZodObject) => (schema instanceof z.ZodObject ? schema : z.object(schema));

/**
 * Bounds a model never comes near (a prompt's 16 MiB, a timeout's 7 days, a branch name's shape) and the server checks anyway: left out of
 * the input schemas a main session carries in every request. Types, enums, required fields and descriptions stay.
 */
const UNLISTED_BOUNDS = new Set(['minLength', 'maxLength', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern']);

function compact(value: unknown, isItem = false): unknown {
	if (Array.isArray(value)) return value.map(item => compact(item, isItem));
	if (typeof value !== 'object' || value === null) return value;
	const entries = Object.entries(value as Record<string, unknown>).filter(
		([key, item]) => !UNLISTED_BOUNDS.has(key) && key !== '$schema' && !(key === 'description' && (isItem || item === taskIdSchema.description)),
	);
	// An enum's values say its type.
	const isEnum = entries.some(([key]) => key === 'enum');
	// An array's items and a field's alternatives (anyOf: a value or null) are described by the field itself.
	return Object.fromEntries(entries.filter(([key]) => !(isEnum && key === 'type')).map(([key, item]) => [key, compact(item, key === 'items' || key === 'anyOf')]));
}

/** A zod object as the JSON Schema of a tool list: the input compacted (see UNLISTED_BOUNDS), without the `$schema` line each tool would repeat. */
function jsonSchema(schema: z.ZodRawShape | z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] {
	const json = z.toJSONSchema(asObject(schema), {io, target: 'draft-7', unrepresentable: 'any'}) as Record<string, unknown>;
	const {$schema: _dialect, ...rest} = io === 'input' ? (compact(json) as Record<string, unknown>) : json;
	return rest as Tool['inputSchema'];
}

/**
 * Takes over tools/list and tools/call from the SDK's McpServer (which keeps the registrations). Why: the SDK drops
 * an argument a tool does not have (a misspelt `taskId` silently became "no id"), and its refusals read "MCP error
 * -32602: Input validation error: Invalid arguments for tool …" followed by zod's wording. Here every tool refuses an
 * unknown field by name with the accepted ones, says in one sentence what is wrong with a value, and takes durations,
 * sizes and amounts as the CLI does ("30m", "5MB", "$2"); a tool may accept more fields than it lists (ACCEPTS); and
 * the tool list leaves out the `$schema` line every tool would repeat.
 *
 * Call it before the tools are registered, and `install` after. `beforeCall` runs with each call's checked arguments
 * before the tool (the fleet server reads back the old tasks they name).
 */
export function captureTools(server: McpServer, beforeCall?: (args: Record<string, unknown>) => Promise<void>): {install(): void} {
	const tools = new Map<string, Entry>();
	const register = server.registerTool.bind(server);
	server.registerTool = ((name: string, config: ToolConfig, callback: Callback) => {
		const input = config.inputSchema;
		const accepted = input && !(input instanceof z.ZodObject) ? (input as {[ACCEPTS]?: z.ZodRawShape})[ACCEPTS] : undefined;
		const schema = input === undefined ? undefined : input instanceof z.ZodObject ? input.strict() : z.strictObject(accepted ?? input);
		const definition: Tool = {
			name,
			...(config.title ? {title: config.title} : {}),
			...(config.description ? {description: config.description} : {}),
			inputSchema: input === undefined ? {type: 'object', properties: {}} : jsonSchema(input, 'input'),
			...(config.outputSchema ? {outputSchema: jsonSchema(config.outputSchema, 'output')} : {}),
			...(config.annotations ? {annotations: config.annotations} : {}),
		};
		tools.set(name, {schema, callback, definition});
		return register(name, config as never, callback as never);
	}) as typeof server.registerTool;
	return {
		install() {
			server.server.setRequestHandler(ListToolsRequestSchema, () => ({tools: [...tools.values()].map(tool => tool.definition)}));
			server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
				const {name, arguments: raw = {}} = request.params;
				const tool = tools.get(name);
				if (!tool) return failure(`Unknown tool ${name}. The tools: ${[...tools.keys()].join(', ')}.`);
				const calling = {...extra, sendNotification: increasingProgress(extra.sendNotification)};
				try {
					if (!tool.schema) return await tool.callback(calling);
					const parsed = readArguments(name, tool.schema, raw);
					if (typeof parsed === 'string') return failure(parsed);
					await beforeCall?.(parsed);
					return await tool.callback(parsed, calling);
				} catch (error) {
					return failure(plainMessage(messageOf(error)));
				}
			});
		},
	};
}

/** Argument fields that name tasks, in every tool that takes task ids. */
const TASK_ID_FIELDS = ['id', 'ids', 'dependsOn', 'continueFrom'];

/** The task ids a tool's arguments name (a schedule's id too, which a store that does not know it ignores). */
export function namedTaskIds(args: Record<string, unknown>): string[] {
	return TASK_ID_FIELDS.flatMap(field => [args[field]].flat()).filter((value): value is string => typeof value === 'string');
}

/** The tool's arguments, checked, or one sentence saying what is wrong and what is accepted. */
export function readArguments(tool: string, schema: z.ZodObject, raw: Record<string, unknown>): Record<string, unknown> | string {
	const shape = schema.shape as Record<string, z.ZodType>;
	const input: Record<string, unknown> = {...raw};
	try {
		for (const [field, value] of Object.entries(input)) {
			if (typeof value === 'string' && field in shape && acceptsNumber(shape[field]!)) input[field] = unitValue(field, value);
		}
	} catch (error) {
		if (error instanceof ConfigError) return error.message;
		throw error;
	}
	const parsed = schema.safeParse(input, {reportInput: true});
	if (parsed.success) return parsed.data;
	// A misspelt field is also a missing one: naming the unknown field (and what it likely meant) says both.
	const {issues} = parsed.error;
	return describeIssue(tool, issues.find(issue => issue.code === 'unrecognized_keys') ?? issues[0]!, shape);
}

function acceptsNumber(schema: z.ZodType): boolean {
	if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return acceptsNumber(schema.unwrap() as z.ZodType);
	return schema instanceof z.ZodNumber;
}

/** "30m" for a duration in milliseconds, "5MB" for bytes, "$2" for USD; a plain number in a string as itself. */
function unitValue(field: string, text: string): number | string {
	if (/^\s*-?\d+(\.\d+)?\s*$/.test(text)) return Number(text);
	if (field.endsWith('Ms') || field === 'delay' || field === 'timeout') return parseDuration(text, field);
	if (field.endsWith('Bytes')) return parseSize(text, field);
	if (field.endsWith('Usd')) return parseUsd(text, field);
	return text;
}

/** One sentence for the calling model: which field, what was wrong, what is accepted. */
function describeIssue(tool: string, issue: z.core.$ZodIssue, shape: Record<string, z.ZodType>): string {
	const accepted = Object.keys(shape);
	const field = issue.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`)).join('');
	const got = 'input' in issue ? JSON.stringify(issue.input) : undefined;
	if (issue.code === 'unrecognized_keys') {
		const guesses = issue.keys.map(key => guessField(key, accepted)).filter((guess): guess is string => guess !== undefined);
		const plural = issue.keys.length === 1 ? '' : 's';
		return `Unknown field${plural} ${issue.keys.join(', ')}${guesses.length ? `; did you mean ${guesses.join(', ')}?` : '.'} ${tool} accepts: ${accepted.join(', ') || 'no arguments'}.`;
	}
	if (issue.code === 'invalid_value') return `${field} ${got} is not accepted; use one of ${issue.values.map(value => String(value)).join(', ')}.`;
	if (issue.code === 'invalid_type' && issue.input === undefined) {
		const description = shape[String(issue.path[0])]?.description?.replace(/\.$/, '');
		return `${tool} needs ${field}${description ? ` (${description})` : ''}.`;
	}
	if (issue.code === 'invalid_type') return `${field} must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${shortJson(got)}.`;
	// The rest (too long, too big, a bad format): zod's own words, with the field and what it got.
	return `${field || tool}: ${issue.message}${got === undefined ? '' : ` (got ${shortJson(got)})`}.`;
}

/** The field a mistyped name meant: a near spelling, or the one it ends with (`taskId` for `id`). */
function guessField(key: string, accepted: readonly string[]): string | undefined {
	const lower = key.toLowerCase();
	return closestName(key, accepted) ?? accepted.find(name => name.length >= 2 && lower.endsWith(name.toLowerCase()));
}

const shortJson = (json: string | undefined) => (json !== undefined && json.length > 80 ? `${json.slice(0, 80)}…` : json);

type Notify = (notification: ServerNotification) => Promise<void>;

/**
 * MCP requires a request's progress to increase with every notification; a tool that reports "1 of 3 done" every few
 * seconds would repeat itself. Each progress notification of one call goes out with a value above the one before
 * (its `total` dropped when the value had to be raised past what the tool said); the message still says where things stand.
 */
export function increasingProgress(send: Notify): Notify {
	let last = Number.NEGATIVE_INFINITY;
	return async notification => {
		if (notification.method !== 'notifications/progress') return send(notification);
		const {progress, total, ...rest} = notification.params;
		const value = progress > last ? progress : last + 1;
		last = value;
		const keepsTotal = total !== undefined && value === progress && value <= total;
		return send({...notification, params: {...rest, progress: value, ...(keepsTotal ? {total} : {})}});
	};
}
