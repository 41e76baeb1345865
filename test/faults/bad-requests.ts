// Deterministic (seeded) malformed MCP requests for every tool the server lists: each request carries one defect.

export type ToolInfo = {name: string; inputSchema: {properties?: Record<string, JsonSchema>; required?: string[]}};
type JsonSchema = {type?: string | string[]; enum?: unknown[]; items?: JsonSchema; anyOf?: JsonSchema[]};

/** One JSON-RPC line to send and what it is meant to test; `marker` is carried in a prompt, so a task it made can be found. */
export type BadRequest = {what: string; message: Record<string, unknown>; marker: string};

/** mulberry32: small, fast, and the same sequence for a seed on every machine. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

const HUGE = 'h'.repeat(300_000);
const BAD_IDS: unknown[] = ['', ' ', '../../etc/passwd', 'nope-0000', 'x'.repeat(5000), '\u0000', '💥', 'DROP TABLE tasks;', 'tsk_%s%n', -1, 0, 1.5, true, {}, [], null];

function typesOf(schema: JsonSchema): string[] {
	if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
	if (Array.isArray(schema.type)) return schema.type;
	return schema.type ? [schema.type] : [];
}

/** Values of the wrong JSON type for a property of `schema`. */
function wrongTypes(schema: JsonSchema): unknown[] {
	const types = new Set(typesOf(schema));
	const all: [string, unknown][] = [
		['string', 'not-a-number-or-enum'],
		['number', 42],
		['integer', 7],
		['boolean', true],
		['array', ['a', 1]],
		['object', {nested: {deeper: [1, 2]}}],
	];
	const wrong = all.filter(([type]) => !types.has(type) && !(type === 'integer' && types.has('number'))).map(([, value]) => value);
	if (types.has('number') || types.has('integer')) wrong.push(-1e308, Number.MAX_SAFE_INTEGER * 4, 'NaN', '1e999');
	if (schema.enum) wrong.push('not-one-of-them', String(schema.enum[0]).toUpperCase() + '!');
	return wrong;
}

/** Arguments that are valid enough to reach the tool, so one defect at a time is what it meets. */
function baseline(tool: ToolInfo, marker: string, cwd: string): Record<string, unknown> {
	const args: Record<string, unknown> = {};
	for (const field of tool.inputSchema.required ?? []) {
		const schema = tool.inputSchema.properties?.[field] ?? {};
		const types = typesOf(schema);
		if (schema.enum) args[field] = schema.enum[0];
		else if (field === 'prompt' || field === 'prompts') args[field] = types.includes('array') ? [`bad input ${marker} [[reply:ok]]`] : `bad input ${marker} [[reply:ok]]`;
		else if (field === 'cwd') args[field] = cwd;
		else if (types.includes('string')) args[field] = `value-${marker}`;
		else if (types.includes('number') || types.includes('integer')) args[field] = 1;
		else if (types.includes('boolean')) args[field] = true;
		else if (types.includes('array')) args[field] = [`value-${marker}`];
		else args[field] = {};
	}
	if ('prompt' in (tool.inputSchema.properties ?? {}) && !('prompt' in args)) args['prompt'] = `bad input ${marker} [[reply:ok]]`;
	if ('cwd' in (tool.inputSchema.properties ?? {})) args['cwd'] = cwd;
	return args;
}

/** At least `minimum` malformed requests over `tools`, the same ones for the same seed; ids start at `firstId`. */
export function generateBadRequests(tools: ToolInfo[], options: {seed: number; minimum: number; cwd: string; firstId: number}): BadRequest[] {
	const random = seededRandom(options.seed);
	const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
	const requests: BadRequest[] = [];
	let id = options.firstId;
	const call = (what: string, make: (marker: string) => {params?: unknown; [key: string]: unknown}) => {
		const marker = `req-${id}`;
		const {params, ...rest} = make(marker);
		requests.push({what, marker, message: {jsonrpc: '2.0', id: id++, method: 'tools/call', ...(params === undefined ? {} : {params}), ...rest}});
	};
	const round = () => {
		for (const tool of tools) {
			const properties = Object.entries(tool.inputSchema.properties ?? {});
			const args = (marker: string) => baseline(tool, marker, options.cwd);
			const withField = (what: string, field: string, value: unknown) =>
				call(`${tool.name}: ${what}`, marker => ({params: {name: tool.name, arguments: {...args(marker), [field]: value === HUGE ? `${marker} ${HUGE}` : value}}}));
			for (const field of tool.inputSchema.required ?? []) {
				call(`${tool.name}: missing ${field}`, marker => {
					const {[field]: _dropped, ...rest} = args(marker);
					return {params: {name: tool.name, arguments: rest}};
				});
			}
			for (const [field, schema] of properties) {
				withField(`${field} of a wrong type`, field, pick(wrongTypes(schema)));
				withField(`${field} null`, field, null);
				if (typesOf(schema).includes('string') && random() < 0.3) withField(`${field} a huge string`, field, HUGE);
				if (/id$/i.test(field) || /ids$/i.test(field)) withField(`${field} a bad id`, field, pick(BAD_IDS));
			}
			withField('an unknown field', pick(['bogus', 'taskID', 'promt', '__proto__', 'constructor']), pick([1, 'x', null, {}]));
			call(`${tool.name}: arguments an array`, marker => ({params: {name: tool.name, arguments: [args(marker)]}}));
			call(`${tool.name}: arguments a string`, marker => ({params: {name: tool.name, arguments: JSON.stringify(args(marker))}}));
			call(`${tool.name}: arguments null`, () => ({params: {name: tool.name, arguments: null}}));
			call(`${tool.name}: arguments a number`, () => ({params: {name: tool.name, arguments: pick([0, -1, 3.14])}}));
			call(`${tool.name}: name of a wrong type`, marker => ({params: {name: pick([42, null, [tool.name], {name: tool.name}]), arguments: args(marker)}}));
			call(`${tool.name}: misspelt name`, marker => ({params: {name: `${tool.name}x`, arguments: args(marker)}}));
			call(`${tool.name}: params an array`, marker => ({params: [tool.name, args(marker)]}));
			call(`${tool.name}: no params`, () => ({}));
			call(`${tool.name}: wrong jsonrpc version`, marker => ({params: {name: tool.name, arguments: args(marker)}, jsonrpc: pick(['1.0', '3.0', 2, null])}));
			call(`${tool.name}: an unknown member`, marker => ({params: {name: tool.name, arguments: args(marker)}, extra: pick([1, 'x', {}])}));
		}
	};
	// Valid JSON-RPC with bad MCP: unknown methods, bad params of the other methods a client may call.
	const protocol = () => {
		const other = (what: string, method: string, params?: unknown) => {
			const marker = `req-${id}`;
			requests.push({what: `protocol: ${what}`, marker, message: {jsonrpc: '2.0', id: id++, method, ...(params === undefined ? {} : {params})}});
		};
		other('unknown method', pick(['tools/cal', 'task/delegate', 'rpc.discover', '', ' tools/list']));
		other('tools/list with a numeric cursor', 'tools/list', {cursor: pick([5, true, {}])});
		other('resources/read of no resource', 'resources/read', {uri: pick(['ccfleet://tasks/nope', 'file:///etc/passwd', 'not a uri'])});
		other('resources/read with a numeric uri', 'resources/read', {uri: 42});
		other('resources/read without params', 'resources/read');
		other('logging/setLevel to no level', 'logging/setLevel', {level: pick(['loud', 7, null])});
		other('prompts/get of no prompt', 'prompts/get', {name: 'nope'});
		other('completion/complete of garbage', 'completion/complete', {ref: pick([null, 'x', {type: 'nope'}]), argument: {name: 1}});
	};
	while (requests.length < options.minimum) {
		round();
		protocol();
	}
	return requests;
}
