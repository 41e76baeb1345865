// The fleet page: counts, the questions waiting for an answer, the task list, a task's live log and a new-task form,
// kept current by the server's event streams (/events for the fleet, /tasks/:id/logs for one task's log).
import {api, ApiError, forgetToken, loadToken, saveToken, stream, Unauthorized} from './api.js';
import {questionCard, taskRow} from './render.js';
import {openTaskView, closeTaskView, updateTaskView} from './task-view.js';
import {CWD_KEY, recall, setUpNewTaskForm} from './new-task.js';

const $ = id => document.getElementById(id);
const SHOWN_TASKS = 60;
const ACTIVE_ORDER = {needs_input: 0, running: 1, parked: 2, queued: 3};
const RECONNECT_MAX_MS = 15_000;

const state = {
	tasks: new Map(),
	questions: [],
	counters: undefined,
	fleetAbort: undefined,
	renderQueued: false,
	questionsLoading: undefined,
	isQuestionsStale: false,
	/** Whether the open task was opened from the list, so Back can go back in the history instead of adding to it. */
	isFromList: false,
};

// Token ------------------------------------------------------------------------------------------------------------

function showTokenForm(message) {
	state.fleetAbort?.abort();
	$('go-new').hidden = true;
	closeTaskView();
	setConnection('offline');
	$('fleet-view').hidden = true;
	$('task-view').hidden = true;
	$('token-view').hidden = false;
	$('token-message').textContent = message ?? '';
	$('token-message').hidden = !message;
	$('token-input').value = '';
	$('token-input').focus();
}

/** A refused token (401), or too many wrong ones from this address (429), brings the token form back; true then. */
function handleFailure(error) {
	if (error instanceof Unauthorized) {
		forgetToken();
		// The server's first sentence says why; its advice on headers is for scripts, the form's hint is for people.
		showTokenForm(`The server refused this token: ${error.message.split(/(?<=\.) /)[0]}`);
		return true;
	}
	if (error instanceof ApiError && error.status === 429) {
		showTokenForm(error.message);
		return true;
	}
	return false;
}

$('token-form').addEventListener('submit', event => {
	event.preventDefault();
	const value = $('token-input').value.trim();
	if (!value) return;
	saveToken(value);
	void connect();
});

// Fleet -------------------------------------------------------------------------------------------------------------

function setConnection(which) {
	$('connection').dataset.state = which;
	$('connection').textContent = which;
}

async function connect() {
	$('token-view').hidden = true;
	$('go-new').hidden = false;
	try {
		await refreshAll();
	} catch (error) {
		if (handleFailure(error)) return;
		setConnection('reconnecting');
	}
	route();
	void followFleet();
}

async function refreshAll() {
	const [fleet, list] = await Promise.all([api('GET', '/fleet'), api('GET', `/tasks?limit=${SHOWN_TASKS}`)]);
	state.counters = fleet;
	state.tasks = new Map((list.tasks ?? []).map(task => [task.id, task]));
	await loadQuestions();
	scheduleRender();
}

/** Follows /events for as long as the page lives; reconnects with back-off and catches up from its first (full) event. */
async function followFleet() {
	let delay = 1000;
	for (;;) {
		const controller = new AbortController();
		state.fleetAbort = controller;
		try {
			await stream(
				'/events',
				(name, changes) => {
					if (name !== 'fleet') return;
					setConnection('live');
					delay = 1000;
					applyChanges(changes);
				},
				controller.signal,
			);
		} catch (error) {
			if (handleFailure(error) || controller.signal.aborted) return;
		}
		if (controller.signal.aborted) return;
		setConnection('reconnecting');
		await new Promise(resolve => setTimeout(resolve, delay));
		delay = Math.min(delay * 2, RECONNECT_MAX_MS);
	}
}

function applyChanges(changes) {
	for (const task of changes.tasks ?? []) {
		state.tasks.set(task.id, task);
		updateTaskView(task);
	}
	if (changes.fleet) state.counters = {...state.counters, ...changes.fleet};
	// Keyed by task and question, so a worker that asks again after an answer gets its new card.
	const waiting = new Set(
		state.counters?.needsInput?.map(entry => `${entry.id} ${entry.question}`) ??
			[...state.tasks.values()].filter(task => task.status === 'needs_input').map(task => `${task.id} ${task.question?.question}`),
	);
	const shown = new Set(state.questions.map(question => `${question.taskId} ${question.question}`));
	if (waiting.size !== shown.size || [...waiting].some(key => !shown.has(key))) void loadQuestions().then(scheduleRender, handleFailure);
	scheduleRender();
}

/** One request at a time; a change that comes meanwhile has it asked again once it is done. */
async function loadQuestions() {
	if (state.questionsLoading) {
		state.isQuestionsStale = true;
		return state.questionsLoading;
	}
	state.questionsLoading = (async () => {
		do {
			state.isQuestionsStale = false;
			const result = await api('GET', '/questions');
			state.questions = result.questions ?? [];
		} while (state.isQuestionsStale);
	})();
	try {
		await state.questionsLoading;
	} finally {
		state.questionsLoading = undefined;
	}
}

async function answer(taskId, choice) {
	await api('POST', `/tasks/${encodeURIComponent(taskId)}/respond`, choice).catch(error => {
		if (!handleFailure(error)) throw error;
	});
	state.questions = state.questions.filter(question => question.taskId !== taskId);
	scheduleRender();
}

// Rendering ---------------------------------------------------------------------------------------------------------

function scheduleRender() {
	if (state.renderQueued) return;
	state.renderQueued = true;
	requestAnimationFrame(() => {
		state.renderQueued = false;
		renderCounts();
		renderQuestions();
		renderTasks();
	});
}

function renderCounts() {
	const fleet = state.counters;
	if (!fleet) return;
	const counts = fleet.counts ?? {};
	const values = {
		running: fleet.workers?.running ?? counts.running ?? 0,
		queued: fleet.queued ?? counts.queued ?? 0,
		waiting: counts.needs_input ?? 0,
		failed: counts.failed ?? 0,
	};
	for (const [kind, value] of Object.entries(values)) {
		$(`count-${kind}`).textContent = String(value);
		$(`count-${kind}`).parentElement.toggleAttribute('data-active', value > 0);
	}
	const held = [];
	if (fleet.usageLimit?.state === 'limited')
		held.push(`Usage limit reached${fleet.usageLimit.resetsAt ? ` until ${new Date(fleet.usageLimit.resetsAt).toLocaleTimeString()}` : ''}.`);
	if (fleet.backoff) held.push(`Paused until ${new Date(fleet.backoff.until).toLocaleTimeString()}: ${fleet.backoff.reason}`);
	if (fleet.admission?.heldBy && values.queued > 0) held.push(`Queue held: ${fleet.admission.heldBy}`);
	$('held').textContent = held.join(' ');
	$('held').hidden = held.length === 0;
}

function renderQuestions() {
	const list = $('questions');
	const keyOf = question => `${question.taskId} ${question.askedAt}`;
	const existing = new Map([...list.children].map(card => [card.dataset.key, card]));
	const wanted = new Set(state.questions.map(keyOf));
	// Cards that stay are kept as they are, so a deny message being typed is not lost.
	for (const [key, card] of existing) if (!wanted.has(key)) card.remove();
	for (const question of state.questions) {
		if (existing.has(keyOf(question))) continue;
		const card = questionCard(question, choice => answer(question.taskId, choice), openTask);
		card.dataset.key = keyOf(question);
		list.append(card);
	}
	$('questions-count').textContent = String(state.questions.length);
	$('questions-count').toggleAttribute('data-active', state.questions.length > 0);
	$('questions-empty').hidden = state.questions.length > 0;
}

function taskOrder(a, b) {
	const rankA = ACTIVE_ORDER[a.status] ?? 9;
	const rankB = ACTIVE_ORDER[b.status] ?? 9;
	if (rankA !== rankB) return rankA - rankB;
	return Date.parse(b.endedAt ?? b.startedAt ?? b.createdAt) - Date.parse(a.endedAt ?? a.startedAt ?? a.createdAt);
}

function renderTasks() {
	const tasks = [...state.tasks.values()].sort(taskOrder).slice(0, SHOWN_TASKS);
	$('tasks').replaceChildren(...tasks.map(task => taskRow(task, openTask)));
	$('tasks-empty').hidden = tasks.length > 0;
	if (!$('new-cwd').value) $('new-cwd').value = recall(CWD_KEY) ?? tasks[0]?.cwd ?? '';
}

// Routing: #task=<id> shows one task; anything else the fleet -------------------------------------------------------

function openTask(id) {
	state.isFromList = true;
	location.hash = `task=${encodeURIComponent(id)}`;
}

function route() {
	if (!$('token-view').hidden) return;
	const match = /^#task=([^&]+)$/.exec(location.hash);
	if (match) {
		$('fleet-view').hidden = true;
		$('task-view').hidden = false;
		const id = decodeURIComponent(match[1]);
		openTaskView(id, state.tasks.get(id), {answer, onFailure: handleFailure});
		window.scrollTo(0, 0);
	} else {
		state.isFromList = false;
		closeTaskView();
		$('task-view').hidden = true;
		$('fleet-view').hidden = false;
	}
}

setUpNewTaskForm({
	onCreated(task) {
		state.tasks.set(task.id, task);
		scheduleRender();
	},
	onFailure: handleFailure,
});
window.addEventListener('hashchange', route);
$('back').addEventListener('click', () => {
	if (state.isFromList) history.back();
	else location.hash = '';
});
$('go-new').addEventListener('click', () => {
	location.hash = '';
	$('new-prompt').scrollIntoView({block: 'center'});
	$('new-prompt').focus();
});
$('home').addEventListener('click', () => {
	location.hash = '';
});

// Start: a token given as #token=… is kept and taken out of the address bar (and so out of the history).
const given = /^#token=(.+)$/.exec(location.hash);
if (given) {
	saveToken(decodeURIComponent(given[1]));
	history.replaceState(null, '', location.pathname + location.search);
}
if (given || loadToken()) void connect();
else showTokenForm();
