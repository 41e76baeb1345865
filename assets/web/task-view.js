// One task: its header, its question if it waits for one, and its log followed live over /tasks/:id/logs until the
// stream's `end` event, which carries the task as it ended (result or failure reason).
import {api, stream} from './api.js';
import {firstLine, formatCost, questionCard, statusPill} from './render.js';

const $ = id => document.getElementById(id);
const ENDED = new Set(['completed', 'failed', 'cancelled', 'skipped']);
const RETRY_MS = 2000;
/** Stripped from the log: a pty worker's log may carry terminal escapes, which are noise on a page. */
const ESCAPES = /\u001B\[[0-9;?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[()][0-9A-Za-z]/g;

let current;

export function closeTaskView() {
	current?.abort.abort();
	current = undefined;
}

/** Shows task `id` (from `cached` at once when the list has it) and follows its log. */
export function openTaskView(id, cached, {answer, onFailure}) {
	closeTaskView();
	current = {id, abort: new AbortController(), answer, onFailure, questionKey: undefined, fullPrompt: undefined, hasEnded: false};
	$('task-log').textContent = '';
	$('task-result').hidden = true;
	$('task-error').hidden = true;
	$('task-question').hidden = true;
	$('task-question').replaceChildren();
	if (cached) updateTaskView(cached);
	else {
		$('task-id').textContent = id;
		$('task-prompt').textContent = '';
	}
	const session = current;
	// The stream's views carry the prompt shortened; the page shows it whole.
	api('GET', `/tasks/${encodeURIComponent(id)}?fullPrompt=true`).then(
		result => {
			if (session !== current || typeof result.task?.prompt !== 'string') return;
			session.fullPrompt = result.task.prompt;
			$('task-prompt').textContent = result.task.prompt;
		},
		error => {
			if (session === current && !onFailure(error)) showError(error.message);
		},
	);
	void follow(session);
}

async function follow(session) {
	for (;;) {
		let ended = false;
		$('task-log').textContent = '';
		try {
			await stream(
				`/tasks/${encodeURIComponent(session.id)}/logs`,
				(name, data) => {
					if (session !== current) return;
					if (name === 'output' && typeof data.text === 'string') appendLog(data.text);
					else if (name === 'status') updateTaskView(data.task ?? data);
					else if (name === 'end') {
						ended = true;
						updateTaskView(data.task ?? data);
					}
				},
				session.abort.signal,
			);
		} catch (error) {
			if (session.abort.signal.aborted || session.onFailure(error)) return;
			if (error.status === 404) return showError(error.message);
		}
		if (ended || session !== current || session.abort.signal.aborted) return;
		// The stream broke before the task ended: start it again (it replays the log from its start).
		await new Promise(resolve => setTimeout(resolve, RETRY_MS));
		if (session !== current) return;
	}
}

function appendLog(text) {
	const log = $('task-log');
	const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
	log.append(text.replace(ESCAPES, ''));
	if (atBottom) log.scrollTop = log.scrollHeight;
}

function showError(message) {
	$('task-error').textContent = message;
	$('task-error').hidden = false;
}

/** Applies a newer view of a task, if it is the one shown. */
export function updateTaskView(task) {
	// A view that comes late (a list event after the stream's end) never takes an ended task back.
	if (!current || task.id !== current.id || (current.hasEnded && !ENDED.has(task.status))) return;
	current.hasEnded = ENDED.has(task.status);
	$('task-status').replaceWith(Object.assign(statusPill(task.status), {id: 'task-status'}));
	$('task-id').textContent = task.id;
	$('task-cost').textContent = formatCost(task);
	$('task-prompt').textContent = current.fullPrompt ?? task.prompt;
	$('task-cwd').textContent = task.cwd;
	$('task-cancel').hidden = ENDED.has(task.status);
	renderQuestion(task);
	if (ENDED.has(task.status)) {
		const result = $('task-result');
		result.dataset.status = task.status;
		$('task-result-title').textContent = task.status === 'completed' ? 'Result' : `Task ${task.status}`;
		$('task-result-text').textContent = task.status === 'completed' ? (task.result ?? '(no text)') : (task.failureReason ?? task.result ?? 'No reason was recorded.');
		result.hidden = false;
	}
}

function renderQuestion(task) {
	const box = $('task-question');
	const key = task.status === 'needs_input' && task.question ? `${task.question.toolName}:${JSON.stringify(task.question.toolInput)}` : undefined;
	if (key === current.questionKey) return;
	current.questionKey = key;
	box.replaceChildren();
	box.hidden = !key;
	if (!key) return;
	const session = current;
	const card = questionCard(
		{taskId: task.id, prompt: firstLine(task.prompt), cwd: task.cwd, ...task.question},
		choice => session.answer(task.id, choice),
		() => undefined,
		{isCompact: true},
	);
	box.append(card);
}

$('task-cancel').addEventListener('click', () => {
	const session = current;
	if (!session || !confirm(`Cancel task ${session.id}? Its worker is stopped.`)) return;
	api('POST', `/tasks/${encodeURIComponent(session.id)}/cancel`, {reason: 'cancelled from the web page'}).then(
		result => {
			if (result.task) updateTaskView(result.task);
		},
		error => {
			if (!session.onFailure(error)) showError(error.message);
		},
	);
});
