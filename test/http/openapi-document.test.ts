import {Ajv} from 'ajv';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {startInProcess, type InProcessServer} from './in-process-server.js';

// The OpenAPI document as a generator or validator reads it: every path's parameters declared, every operation with
// its answers and schemas, every schema one a JSON Schema validator compiles. rest-api.test.ts checks its contents.
type Operation = {
	operationId?: string;
	parameters?: {name: string; in: string; required?: boolean; schema?: unknown}[];
	requestBody?: {content: Record<string, {schema: Record<string, unknown>}>};
	responses: Record<string, {description?: string; content?: Record<string, {schema: Record<string, unknown>}>}>;
	security?: Record<string, unknown>[];
};
type Document = {
	openapi: string;
	info: {title: string; version: string};
	paths: Record<string, Record<string, Operation>>;
	components: {securitySchemes: Record<string, unknown>};
};

let server: InProcessServer;
let document: Document;

beforeAll(async () => {
	server = await startInProcess();
	const answer = await fetch(`${server.url}/openapi.json`, {headers: {Authorization: `Bearer ${server.readOnlyToken}`}});
	expect(answer.status).toBe(200);
	document = (await answer.json()) as Document;
});

afterAll(async () => {
	await server?.close();
});

const operations = () => Object.entries(document.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, operation]) => ({route, method, operation})));

it('is an OpenAPI 3.1 document with the routes the contract names', () => {
	expect(document.openapi).toMatch(/^3\.1\.\d+$/);
	expect(document.info).toMatchObject({title: expect.any(String), version: expect.any(String)});
	const listed = operations().map(({route, method}) => `${method.toUpperCase()} ${route}`);
	expect(listed).toEqual(
		expect.arrayContaining(['POST /tasks', 'GET /tasks/{id}', 'GET /tasks/{id}/logs', 'POST /tasks/{id}/cancel', 'POST /tasks/{id}/respond', 'GET /fleet']),
	);
});

it('declares each path parameter once, as required, and no other', () => {
	for (const {route, method, operation} of operations()) {
		const inPath = [...route.matchAll(/\{(\w+)\}/g)].map(match => match[1]);
		const declared = (operation.parameters ?? []).filter(parameter => parameter.in === 'path');
		expect(declared.map(parameter => parameter.name).sort(), `${method} ${route}`).toEqual(inPath.sort());
		for (const parameter of declared) expect(parameter.required, `${method} ${route} ${parameter.name}`).toBe(true);
		for (const parameter of operation.parameters ?? []) expect(['path', 'query', 'header', 'cookie']).toContain(parameter.in);
	}
});

it('gives every operation a success answer, described answers, the bearer scheme, and a unique operationId', () => {
	const ids = new Set<string>();
	for (const {route, method, operation} of operations()) {
		const where = `${method} ${route}`;
		expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
		expect(
			Object.keys(operation.responses).some(status => /^2\d\d$/.test(status)),
			where,
		).toBe(true);
		for (const [status, response] of Object.entries(operation.responses)) expect(response.description, `${where} ${status}`).toEqual(expect.any(String));
		for (const requirement of operation.security ?? []) for (const scheme of Object.keys(requirement)) expect(document.components.securitySchemes).toHaveProperty(scheme);
		if (operation.operationId) {
			expect(ids.has(operation.operationId), `${where}: operationId ${operation.operationId} twice`).toBe(false);
			ids.add(operation.operationId);
		}
		if (method === 'get') expect(operation.requestBody, where).toBeUndefined();
	}
});

it('holds only schemas a JSON Schema validator compiles, each body an object that validates what the contract sends', () => {
	const ajv = new Ajv({strict: false, validateSchema: true});
	const schemas = operations().flatMap(({route, method, operation}) => [
		...Object.values(operation.requestBody?.content ?? {}).map(media => ({where: `${method} ${route} body`, schema: media.schema})),
		...Object.entries(operation.responses).flatMap(([status, response]) =>
			Object.values(response.content ?? {}).map(media => ({where: `${method} ${route} ${status}`, schema: media.schema})),
		),
		...(operation.parameters ?? []).map(parameter => ({where: `${method} ${route} ${parameter.name}`, schema: parameter.schema as Record<string, unknown>})),
	]);
	expect(schemas.length).toBeGreaterThan(20);
	for (const {where, schema} of schemas) {
		expect(schema, where).toEqual(expect.any(Object));
		const {$schema: _dialect, ...rest} = schema;
		expect(() => ajv.compile(rest), where).not.toThrow();
		if (where.endsWith(' body')) expect(schema['type'], where).toBe('object');
	}
	const delegate = document.paths['/tasks']!['post']!.requestBody!.content['application/json']!.schema;
	const {$schema: _dialect, ...body} = delegate;
	expect(ajv.validate(body, {prompt: 'do it', cwd: '/work'}), JSON.stringify(ajv.errors)).toBe(true);
	expect(ajv.validate(body, {cwd: '/work'})).toBe(false);
	const respond = document.paths['/tasks/{id}/respond']!['post']!.requestBody!.content['application/json']!.schema;
	const {$schema: _respondDialect, ...respondBody} = respond;
	expect(ajv.validate(respondBody, {action: 'approve'}), JSON.stringify(ajv.errors)).toBe(true);
});
