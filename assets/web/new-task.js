// The new-task form: POST /tasks with a prompt, a directory (remembered for next time) and an optional priority;
// the server's refusal is shown as it says it.
import {api, ApiError} from './api.js';

const $ = id => document.getElementById(id);
export const CWD_KEY = 'ccfleet.cwd';

/** Private browsing may refuse storage: the page then works without remembering. */
function remember(key, value) {
	try {
		localStorage.setItem(key, value);
	} catch {
		// not kept
	}
}

export function recall(key) {
	try {
		return localStorage.getItem(key) ?? undefined;
	} catch {
		return undefined;
	}
}

/** `onCreated(task)` with the new task's view; `onFailure(error)` is true when it handled the error (a refused token). */
export function setUpNewTaskForm(handlers) {
	$('new-task-form').addEventListener('submit', event => {
		event.preventDefault();
		void submitTask(event.submitter ?? event.target.querySelector('button'), handlers);
	});
}

async function submitTask(button, {onCreated, onFailure}) {
	const prompt = $('new-prompt').value.trim();
	const cwd = $('new-cwd').value.trim();
	const priority = $('new-priority').value;
	$('new-task-error').hidden = true;
	$('new-task-done').hidden = true;
	button.disabled = true;
	try {
		const result = await api('POST', '/tasks', {prompt, cwd, ...(priority ? {priority} : {})});
		remember(CWD_KEY, cwd);
		if (result.task) {
			onCreated(result.task);
			$('new-task-done').textContent = `Started task ${result.task.id} (${result.task.status}).`;
			$('new-task-done').hidden = false;
		}
		$('new-prompt').value = '';
	} catch (error) {
		if (!onFailure(error)) {
			$('new-task-error').textContent = error instanceof ApiError ? error.message : String(error);
			$('new-task-error').hidden = false;
		}
	} finally {
		button.disabled = false;
	}
}
