import {afterAll, beforeAll, expect, test} from 'vitest';
import {PING_INTERVAL_MS} from '../../source/demo/mock-api/message-writer.js';
import {startMockApi, type MockApi} from '../../source/demo/mock-anthropic-api.js';

// The mock's own side of the demo's two needs: a slow answer keeps its stream alive (pings, as the real API sends),
// and a prompt can be scripted beside it, so the prompt itself carries no directive.
let api: MockApi;

beforeAll(async () => {
	api = await startMockApi({scripts: [{match: 'Design a --verbose flag', directives: '[[slow:2500]] [[reply:Design: one flag.]]'}]});
});

afterAll(async () => {
	await api.close();
});

async function stream(prompt: string): Promise<{text: string; ms: number; events: Array<{event: string; at: number}>}> {
	const started = Date.now();
	const response = await fetch(`${api.url}/v1/messages?beta=true`, {
		method: 'POST',
		headers: {'content-type': 'application/json'},
		body: JSON.stringify({model: 'claude-mock', stream: true, tools: [{name: 'Bash'}], messages: [{role: 'user', content: prompt}]}),
	});
	const reader = response.body!.getReader();
	const events: Array<{event: string; at: number}> = [];
	let text = '';
	for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
		const part = new TextDecoder().decode(chunk.value);
		text += part;
		for (const match of part.matchAll(/^event: (\w+)$/gm)) events.push({event: match[1]!, at: Date.now() - started});
	}
	return {text, ms: Date.now() - started, events};
}

test('a slow answer pings while it holds its content back, so no gap is longer than a ping interval and a bit', async () => {
	const {text, ms, events} = await stream('Design a --verbose flag for the CLI.');
	expect(ms).toBeGreaterThanOrEqual(2500);
	expect(events.filter(event => event.event === 'ping').length).toBeGreaterThanOrEqual(2);
	const times = events.map(event => event.at);
	const gaps = times.slice(1).map((at, index) => at - times[index]!);
	expect(Math.max(...gaps)).toBeLessThan(PING_INTERVAL_MS + 600);
	// The script beside the prompt answered it.
	expect(text).toContain('Design: one flag.');
});

test('a prompt without a script gets the default answer at once; the request log keeps the prompt as it was sent', async () => {
	const {text, ms} = await stream('Write the release notes.');
	expect(ms).toBeLessThan(1500);
	expect(text).toContain('Hello from mock.');
	expect(text).not.toContain('event: ping');
	const bodies = api.requests.map(request => JSON.stringify(request.body));
	expect(bodies.some(body => body.includes('Design a --verbose flag for the CLI.'))).toBe(true);
	expect(bodies.some(body => body.includes('[['))).toBe(false);
});
