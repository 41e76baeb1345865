// DOM builders. Text from tasks (prompts, questions, logs) only ever goes in as text nodes, never as HTML.

/** An element with attributes (on* keys become listeners) and children (strings become text nodes). */
export function h(tag, attributes = {}, ...children) {
	const element = document.createElement(tag);
	for (const [key, value] of Object.entries(attributes)) {
		if (value === undefined || value === false) continue;
		if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
		else if (key === 'dataset') Object.assign(element.dataset, value);
		else element.setAttribute(key, value === true ? '' : String(value));
	}
	for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) element.append(child);
	return element;
}

const STATUS_LABELS = {
	queued: 'queued',
	running: 'running',
	needs_input: 'waiting',
	parked: 'parked',
	completed: 'done',
	failed: 'failed',
	cancelled: 'cancelled',
	skipped: 'skipped',
};

export function statusPill(status) {
	return h('span', {class: 'status', dataset: {status}}, STATUS_LABELS[status] ?? status);
}

/** `…` while a live worker has reported no usage yet (claude writes it when an answer completes): $0 would read as free. */
export function formatCost(task) {
	const live = task.status === 'running' || task.status === 'needs_input';
	if (task.costUsd === 0 && live) return '…';
	if (task.costUsd === 0 && task.status === 'queued') return '';
	return `$${task.costUsd.toFixed(task.costUsd < 1 ? 3 : 2)}`;
}

export function firstLine(text, max = 120) {
	const line = String(text ?? '')
		.split('\n', 1)[0]
		.trim();
	return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function ago(iso) {
	const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
	if (seconds < 5) return 'just now';
	if (seconds < 60) return `${seconds} s ago`;
	if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
	return `${Math.round(seconds / 3600)} h ago`;
}

/** A tool call's input as a person reads it: a Bash command as itself, anything else as indented JSON. */
export function describeInput(toolInput) {
	if (toolInput && typeof toolInput === 'object') {
		if (typeof toolInput.command === 'string') return toolInput.command;
		if (typeof toolInput.file_path === 'string' && Object.keys(toolInput).length === 1) return toolInput.file_path;
	}
	if (typeof toolInput === 'string') return toolInput;
	return JSON.stringify(toolInput, null, 2) ?? '';
}

/**
 * A waiting question with Approve and Deny. Deny first opens a box for an optional message the worker reads.
 * `onAnswer(answer)` is called with {action, message?} and returns a promise; the card shows its error if it fails.
 */
export function questionCard(question, onAnswer, onOpen, {isCompact = false} = {}) {
	const error = h('p', {class: 'error', role: 'alert', hidden: true});
	const message = h('textarea', {rows: 2, placeholder: 'Why not, or what to do instead (optional)', 'aria-label': 'Message for the worker'});
	const denyBox = h(
		'div',
		{class: 'deny-box', hidden: true},
		message,
		h('button', {type: 'button', class: 'deny', onclick: () => answer({action: 'deny', message: message.value.trim() || undefined})}, 'Send deny'),
	);
	const approve = h('button', {type: 'button', class: 'approve', onclick: () => answer({action: 'approve'})}, 'Approve');
	const deny = h(
		'button',
		{
			type: 'button',
			class: 'deny',
			onclick: () => {
				denyBox.hidden = !denyBox.hidden;
				if (!denyBox.hidden) message.focus();
			},
		},
		'Deny…',
	);
	const card = h(
		'li',
		{class: 'card', dataset: {taskId: question.taskId}},
		// Compact: on the task's own view, which shows its id, prompt and directory above.
		!isCompact &&
			h(
				'div',
				{class: 'meta'},
				h('button', {type: 'button', class: 'link mono', onclick: () => onOpen(question.taskId)}, question.taskId),
				h('span', {}, question.askedAt ? `asked ${ago(question.askedAt)}` : ''),
			),
		!isCompact && h('p', {class: 'prompt'}, firstLine(question.prompt)),
		!isCompact && h('div', {class: 'cwd mono'}, question.cwd),
		// claude's question repeats the whole input ("Allow Bash(npm test)?"); the tool's name and its input read better.
		h('p', {class: 'question', title: question.question}, 'Allow ', h('b', {}, question.toolName), ' to run:'),
		h('pre', {class: 'tool-input'}, describeInput(question.toolInput)),
		h('div', {class: 'actions'}, approve, deny),
		denyBox,
		error,
	);
	async function answer(choice) {
		for (const button of card.querySelectorAll('button')) button.disabled = true;
		error.hidden = true;
		try {
			await onAnswer(choice);
			card.remove();
		} catch (failure) {
			error.textContent = failure.message;
			error.hidden = false;
			for (const button of card.querySelectorAll('button')) button.disabled = false;
		}
	}
	return card;
}

export function taskRow(task, onOpen) {
	const sub = [
		task.id,
		task.status === 'queued' && task.queuePosition ? `#${task.queuePosition} in queue` : '',
		task.activity ? `${task.activity.tool} ${task.activity.detail}` : '',
	]
		.filter(Boolean)
		.join(' · ');
	return h(
		'li',
		{},
		h(
			'button',
			{type: 'button', class: 'task', dataset: {taskId: task.id, status: task.status}, onclick: () => onOpen(task.id)},
			h('span', {class: 'prompt'}, firstLine(task.prompt, 200)),
			h('span', {class: 'sub'}, statusPill(task.status), h('span', {class: 'mono'}, sub)),
			h('span', {class: 'cost'}, formatCost(task)),
		),
	);
}
