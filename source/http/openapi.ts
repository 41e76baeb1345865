import type {Tool} from '@modelcontextprotocol/sdk/types.js';
import {REST_ROUTES, type ToolRoute} from './rest-routes.js';
import {sendJson, type HttpRoute} from './router.js';

type Schema = Record<string, unknown>;

const ERROR_SCHEMA: Schema = {type: 'object', properties: {error: {type: 'string', description: 'What is wrong and what is accepted.'}}, required: ['error']};
const ERRORS = {
	'400': 'Bad input: malformed JSON, an unknown field, a wrong type (the message names it).',
	'401': 'No token, or not a valid one.',
	'403': 'A read-only token on a write, or a Host/Origin this server does not answer to.',
	'404': 'No such task or route.',
	'413': 'The body is too large.',
	'429': 'Too many failed token attempts from this address (see Retry-After).',
	'500': 'An internal error; the message gives a reference to find it in the daemon log on the fleet machine.',
	'503': 'Tokens cannot be checked now (the token file on the fleet machine is damaged).',
};

/** The JSON Schema of a tool's input without the fields the path carries (the id of /tasks/:id/…). */
function withoutFields(schema: Schema, fields: readonly string[]): Schema {
	const properties = {...(schema['properties'] as Record<string, unknown> | undefined)};
	for (const field of fields) delete properties[field];
	const required = ((schema['required'] as string[] | undefined) ?? []).filter(field => !fields.includes(field));
	return {...schema, properties, ...(required.length ? {required} : {required: undefined})};
}

function openApiPath(path: string): string {
	return path.replace(/:(\w+)/g, '{$1}');
}

function operation(route: ToolRoute, tool: Tool | undefined): Schema {
	const pathFields = route.pathFields ?? [];
	// From the path itself, so a route cannot leave one out (a tool's pathFields only say which input fields it fills).
	const inPath = [...route.path.matchAll(/:(\w+)/g)].map(match => match[1]!);
	const parameters = [
		...inPath.map(name => ({name, in: 'path', required: true, schema: {type: 'string'}})),
		...Object.entries(route.query ?? {}).map(([name, description]) => ({name, in: 'query', required: false, description, schema: {type: 'string'}})),
	];
	const method = typeof route.method === 'string' ? route.method : route.method[0]!;
	const status = String(route.status ?? 200);
	const content = tool?.outputSchema
		? {'application/json': {schema: tool.outputSchema}}
		: route.path.endsWith('/logs')
			? {'text/plain': {schema: {type: 'string'}}, 'text/event-stream': {schema: {type: 'string'}}}
			: route.path === '/events'
				? {'text/event-stream': {schema: {type: 'string'}}}
				: {'application/json': {schema: {type: 'object'}}};
	const errors = Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [code, {description, content: {'application/json': {schema: ERROR_SCHEMA}}}]));
	return {
		summary: route.summary,
		operationId: route.operationId,
		...(tool ? {description: `${tool.description ?? ''} (The MCP tool ${tool.name}; the same input and result.)`} : {}),
		...(parameters.length ? {parameters} : {}),
		...(method === 'POST' && tool ? {requestBody: {required: true, content: {'application/json': {schema: withoutFields(tool.inputSchema, pathFields)}}}} : {}),
		responses: {[status]: {description: 'Done', content}, ...errors},
		security: [{bearer: []}],
	};
}

/** The OpenAPI 3.1 document of the REST routes, from the tools' own schemas (the ones tools/list shows). */
export function openApiDocument(tools: readonly Tool[], routes: readonly ToolRoute[] = REST_ROUTES): Schema {
	const byName = new Map(tools.map(tool => [tool.name, tool]));
	const paths: Record<string, Schema> = {};
	for (const route of routes) {
		if (!route.summary) continue;
		const method = typeof route.method === 'string' ? route.method : route.method[0]!;
		(paths[openApiPath(route.path)] ??= {})[method.toLowerCase()] = operation(route, route.tool ? byName.get(route.tool) : undefined);
	}
	return {
		openapi: '3.1.0',
		info: {
			title: 'ccfleet',
			version: '0.1.0',
			description:
				'A fleet of background Claude Code workers. Each route answers with what its MCP tool answers; MCP itself is at /mcp (streamable HTTP). Every route needs Authorization: Bearer <token> (ccfleet token create).',
		},
		paths,
		components: {securitySchemes: {bearer: {type: 'http', scheme: 'bearer'}}},
	};
}

export const OPENAPI_ROUTES: readonly HttpRoute[] = [
	{
		method: 'GET',
		path: '/openapi.json',
		access: 'read',
		handle: async ({response, services}) => sendJson(response, 200, openApiDocument(await services.tools.tools())),
	},
];
