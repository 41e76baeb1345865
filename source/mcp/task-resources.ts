import {ResourceTemplate, type McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema, type Resource} from '@modelcontextprotocol/sdk/types.js';
import {TaskNotFoundError} from '../core/domain/errors.js';
import type {Task} from '../core/domain/task.js';
import type {Fleet} from '../core/fleet.js';
import type {ResourceSubscription} from './fleet-feed.js';
import {taskView} from './task-view.js';

/**
 * What a server serving task resources must declare. McpServer declares `listChanged` by itself once a resource is
 * registered, but never `subscribe`, and clients refuse to send resources/subscribe without it.
 */
export const RESOURCE_CAPABILITIES = {resources: {subscribe: true, listChanged: true}};

const TASK_URI_PREFIX = 'ccfleet://tasks/';
const TASK_URI_TEMPLATE = `${TASK_URI_PREFIX}{id}`;
const MIME_TYPE = 'application/json';
/** How many of the newest tasks resources/list returns: enough to find recent work, small enough to stay cheap. */
const LISTED_TASKS = 50;
/** Candidates completion looks through; the SDK sends at most 100 of them. */
const COMPLETION_SCAN = 200;
/** At most one notification per URI (and one list_changed) per this many ms: a busy worker changes state in bursts. */
const NOTIFY_INTERVAL_MS = 100;
const MAX_TITLE_CHARS = 80;
/** Longer than any id the fleet hands out; keeps a hostile URI from turning into a store lookup of megabytes. */
const MAX_ID_CHARS = 100;
const LIST_KEY = '\0list';

function taskUri(id: string): string {
	return `${TASK_URI_PREFIX}${encodeURIComponent(id)}`;
}

/** The task id in a `ccfleet://tasks/{id}` URI, or undefined when the URI has another form. */
function parseTaskUri(uri: string): string | undefined {
	if (!uri.startsWith(TASK_URI_PREFIX)) return undefined;
	const encoded = uri.slice(TASK_URI_PREFIX.length);
	if (encoded === '' || /[/?#]/.test(encoded)) return undefined;
	let id: string;
	try {
		id = decodeURIComponent(encoded);
	} catch {
		return undefined;
	}
	return id.length > 0 && id.length <= MAX_ID_CHARS ? id : undefined;
}

/** The first non-blank line of the prompt, shortened: what a person would call the task. */
function titleOf(task: Task): string {
	const line =
		task.prompt
			.split('\n')
			.find(text => text.trim() !== '')
			?.trim() ?? task.id;
	return line.length > MAX_TITLE_CHARS ? `${line.slice(0, MAX_TITLE_CHARS - 1)}…` : line;
}

function unknownTask(id: string, doing: string): McpError {
	return new McpError(
		ErrorCode.InvalidParams,
		`No task with id "${id}", so ccfleet cannot ${doing} ${taskUri(id)}. List the resources (resources/list) or call the task_status tool without an id to see the known tasks.`,
	);
}

function badUri(uri: string, doing: string): McpError {
	return new McpError(ErrorCode.InvalidParams, `Cannot ${doing} "${uri.slice(0, 200)}": ccfleet serves tasks as ${TASK_URI_TEMPLATE}, e.g. ${TASK_URI_PREFIX}k3f9a2.`);
}

/** Looks the task up, turning the fleet's not-found error into a protocol error a client can show. */
function findTask(fleet: Fleet, id: string, doing: string): Task {
	try {
		return fleet.get(id);
	} catch (error) {
		if (error instanceof TaskNotFoundError) throw unknownTask(id, doing);
		throw error;
	}
}

/**
 * Leading and trailing throttle per key: the first change is announced at once, later ones within the interval are
 * folded into one announcement at its end, so the last change is never lost and a burst costs at most two messages.
 */
class Coalescer {
	readonly #windows = new Map<string, {timer: NodeJS.Timeout; pending: boolean}>();

	constructor(
		readonly intervalMs: number,
		readonly send: (key: string) => void,
	) {}

	touch(key: string): void {
		const window = this.#windows.get(key);
		if (window) {
			window.pending = true;
			return;
		}
		this.send(key);
		this.#open(key);
	}

	#open(key: string): void {
		const window = {
			pending: false,
			timer: setTimeout(() => {
				this.#windows.delete(key);
				if (!window.pending) return;
				this.send(key);
				this.#open(key);
			}, this.intervalMs),
		};
		// A trailing announcement is not worth keeping a process alive for.
		window.timer.unref();
		this.#windows.set(key, window);
	}

	/** Drops what is pending for the key (an unsubscribed URI must not be announced after all). */
	forget(key: string): void {
		const window = this.#windows.get(key);
		if (!window) return;
		clearTimeout(window.timer);
		this.#windows.delete(key);
	}

	clear(): void {
		for (const window of this.#windows.values()) clearTimeout(window.timer);
		this.#windows.clear();
	}
}

/**
 * Serves each task as the resource `ccfleet://tasks/{id}` (its task_status JSON) on one connection's McpServer, with
 * subscriptions: subscribed URIs get `notifications/resources/updated` when the task or its worker changes, and a new
 * task sends `notifications/resources/list_changed`. Call before `server.connect()`. The server has one subscribe
 * handler, so subscriptions to other resources (`others`, matched by exact URI) are routed from here.
 * Returns a disposer that detaches from the fleet and clears the timers; it also runs by itself when the connection
 * closes, so a forgotten call does not leak listeners, and calling it twice is harmless.
 */
export function registerTaskResources(server: McpServer, fleet: Fleet, others: readonly ResourceSubscription[] = []): () => void {
	// Declared here as well so the server is right even where its constructor was not given RESOURCE_CAPABILITIES;
	// capabilities merge, and can only be registered before connecting (the SDK throws after).
	server.server.registerCapabilities(RESOURCE_CAPABILITIES);

	const subscribed = new Set<string>();
	let disposed = false;

	// Sends are fire and forget: the connection may close at any moment, and a notification to a gone client is moot.
	const notify = (key: string) => {
		if (disposed) return;
		try {
			if (key === LIST_KEY) server.server.sendResourceListChanged().catch(() => {});
			// Checked again at send time: a trailing announcement may fall after an unsubscribe.
			else if (subscribed.has(key)) server.server.sendResourceUpdated({uri: key}).catch(() => {});
		} catch {
			// The transport threw synchronously (closed); nothing to tell.
		}
	};
	const coalescer = new Coalescer(NOTIFY_INTERVAL_MS, notify);

	const changed = (id: string) => {
		try {
			const uri = taskUri(id);
			if (subscribed.has(uri)) coalescer.touch(uri);
		} catch {
			// A listener must never throw into the fleet's emitter.
		}
	};

	server.registerResource(
		'task',
		new ResourceTemplate(TASK_URI_TEMPLATE, {
			list: () => ({
				resources: fleet
					.list({limit: LISTED_TASKS})
					.reverse()
					.map((task): Resource => ({uri: taskUri(task.id), name: `task ${task.id}`, title: titleOf(task), mimeType: MIME_TYPE})),
			}),
			complete: {
				id: value =>
					fleet
						.list({limit: COMPLETION_SCAN})
						.reverse()
						.map(task => task.id)
						.filter(id => id.startsWith(value)),
			},
		}),
		{
			title: 'ccfleet task',
			description:
				'One delegated task as JSON: status, result or failure reason, cost, tokens, and the permission question if its worker waits on one. Subscribe to hear when it changes.',
			mimeType: MIME_TYPE,
		},
		async uri => {
			const id = parseTaskUri(uri.href);
			if (id === undefined) throw badUri(uri.href, 'read');
			await fleet.preload([id]);
			const task = findTask(fleet, id, 'read');
			return {contents: [{uri: uri.href, mimeType: MIME_TYPE, text: JSON.stringify(taskView(fleet, task), null, 2)}]};
		},
	);

	server.server.setRequestHandler(SubscribeRequestSchema, async request => {
		const other = others.find(resource => resource.uri === request.params.uri);
		if (other) {
			other.subscribe();
			return {};
		}
		const id = parseTaskUri(request.params.uri);
		if (id === undefined) throw badUri(request.params.uri, 'subscribe to');
		await fleet.preload([id]);
		findTask(fleet, id, 'subscribe to');
		// Kept in canonical form, which is what notifications carry.
		subscribed.add(taskUri(id));
		return {};
	});

	server.server.setRequestHandler(UnsubscribeRequestSchema, request => {
		const other = others.find(resource => resource.uri === request.params.uri);
		if (other) {
			other.unsubscribe();
			return {};
		}
		const id = parseTaskUri(request.params.uri);
		if (id === undefined) throw badUri(request.params.uri, 'unsubscribe from');
		const uri = taskUri(id);
		subscribed.delete(uri);
		coalescer.forget(uri);
		// Unsubscribing from what was never subscribed (or no longer exists) is not an error: the end state is the same.
		return {};
	});

	const offs = [
		fleet.on('task:updated', ({task}) => changed(task.id)),
		fleet.on('worker:state', ({taskId}) => changed(taskId)),
		fleet.on('task:created', () => {
			try {
				coalescer.touch(LIST_KEY);
			} catch {
				// Never into the emitter.
			}
		}),
	];

	const dispose = () => {
		if (disposed) return;
		disposed = true;
		for (const off of offs) off();
		coalescer.clear();
		subscribed.clear();
	};

	// Chained rather than replaced: whoever set onclose before us still hears about the close.
	const previousOnClose = server.server.onclose;
	server.server.onclose = () => {
		previousOnClose?.();
		dispose();
	};

	return dispose;
}
