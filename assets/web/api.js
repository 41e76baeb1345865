// The server's REST API and its event streams, with the bearer token. EventSource cannot send an Authorization
// header, so the streams are read from fetch()'s response body and parsed here.

const TOKEN_KEY = 'ccfleet.token';

let token = '';

/** The server refused the token (401): the page asks for another. */
export class Unauthorized extends Error {}

/** The server answered with an error; `message` is its `error` text. */
export class ApiError extends Error {
	constructor(message, status) {
		super(message);
		this.status = status;
	}
}

export function loadToken() {
	try {
		token = localStorage.getItem(TOKEN_KEY) ?? '';
	} catch {
		token = '';
	}
	return token;
}

export function saveToken(value) {
	token = value.trim();
	try {
		localStorage.setItem(TOKEN_KEY, token);
	} catch {
		// Private browsing may refuse storage: the token then lasts as long as the page.
	}
}

export function forgetToken() {
	token = '';
	try {
		localStorage.removeItem(TOKEN_KEY);
	} catch {
		// nothing kept
	}
}

async function errorOf(response) {
	const text = await response.text().catch(() => '');
	try {
		const parsed = JSON.parse(text);
		if (parsed && typeof parsed.error === 'string') return parsed.error;
	} catch {
		// not JSON: the text itself says it
	}
	return text.trim() || `${response.status} ${response.statusText}`;
}

/** One JSON request. Throws Unauthorized on 401 and ApiError with the server's message on any other failure. */
export async function api(method, path, body) {
	const headers = {Authorization: `Bearer ${token}`, Accept: 'application/json'};
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	let response;
	try {
		response = await fetch(path, {method, headers, cache: 'no-store', ...(body === undefined ? {} : {body: JSON.stringify(body)})});
	} catch (error) {
		throw new ApiError(`The server cannot be reached (${error.message}). Is ccfleet serve still running?`, 0);
	}
	if (response.status === 401) throw new Unauthorized(await errorOf(response));
	if (!response.ok) throw new ApiError(await errorOf(response), response.status);
	const text = await response.text();
	return text ? JSON.parse(text) : {};
}

/**
 * Reads a server-sent event stream until the server ends it or `signal` aborts; calls onEvent(name, data) with each
 * event's JSON data. Resolves when the stream ends; throws Unauthorized, ApiError, or the network's error.
 */
export async function stream(path, onEvent, signal) {
	const response = await fetch(path, {headers: {Authorization: `Bearer ${token}`, Accept: 'text/event-stream'}, cache: 'no-store', signal});
	if (response.status === 401) throw new Unauthorized(await errorOf(response));
	if (!response.ok) throw new ApiError(await errorOf(response), response.status);
	const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
	let buffer = '';
	for (;;) {
		const {value, done} = await reader.read();
		if (done) return;
		buffer += value.replace(/\r\n/g, '\n');
		let end;
		while ((end = buffer.indexOf('\n\n')) >= 0) {
			const block = buffer.slice(0, end);
			buffer = buffer.slice(end + 2);
			dispatch(block, onEvent);
		}
	}
}

function dispatch(block, onEvent) {
	let name = 'message';
	const data = [];
	for (const line of block.split('\n')) {
		if (line === '' || line.startsWith(':')) continue;
		const colon = line.indexOf(':');
		const field = colon < 0 ? line : line.slice(0, colon);
		const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
		if (field === 'event') name = value;
		else if (field === 'data') data.push(value);
	}
	if (data.length === 0) return;
	let parsed;
	try {
		parsed = JSON.parse(data.join('\n'));
	} catch {
		return;
	}
	onEvent(name, parsed);
}
