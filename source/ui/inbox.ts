import type {QuestionView} from '../protocol/tool-results.js';

export type {QuestionView} from '../protocol/tool-results.js';

/** The inbox view (I): every permission question waiting across the fleet, as last fetched, and what is marked. */
export type InboxState = {
	/** Oldest first, as list_questions gives them. */
	questions: readonly QuestionView[];
	/** The selected row's task id. */
	selected?: string;
	/** Task ids marked with space or `a`, answered together by y, n, A and T. */
	marked: readonly string[];
	/** The first fetch has not answered yet. */
	isLoading: boolean;
	/** Answers are on their way: keys that answer wait for them. */
	isAnswering: boolean;
	/** n asks why (optional): what is typed so far; unset when not asking. */
	denyReason?: string;
	/** Why the last fetch failed, until one succeeds. */
	error?: string;
	/** For `~` in the directories. */
	home?: string;
};

/** What a question's call touches: a command, a file, a URL; undefined for a tool whose input is something else. */
function callDetail(question: Pick<QuestionView, 'toolInput'>): string | undefined {
	const input = (typeof question.toolInput === 'object' && question.toolInput !== null ? question.toolInput : {}) as Record<string, unknown>;
	const detail = input['command'] ?? input['file_path'] ?? input['notebook_path'] ?? input['path'] ?? input['url'] ?? input['pattern'];
	return typeof detail === 'string' ? detail.trim() : undefined;
}

/**
 * Two questions are alike when they ask for the same tool on the same command, file or URL. Not the whole input:
 * claude adds a description of its own to each Bash call, which differs between workers running the same command.
 */
export function alikeKey(question: Pick<QuestionView, 'toolName' | 'toolInput'>): string {
	return `${question.toolName}\u0000${callDetail(question) ?? JSON.stringify(question.toolInput)}`;
}

/** `Bash(npm test)`: the call as a rule would name it, for the status bar. */
export function callText(question: Pick<QuestionView, 'toolName' | 'toolInput'>): string {
	const detail = callDetail(question);
	return detail === undefined ? question.toolName : `${question.toolName}(${detail.replace(/\s+/g, ' ')})`;
}

/** The questions every answering key acts on: the marked ones (in list order), else the selected one. */
export function answerTargets(inbox: InboxState): QuestionView[] {
	if (inbox.marked.length > 0) return inbox.questions.filter(question => inbox.marked.includes(question.taskId));
	const selected = inbox.questions.find(question => question.taskId === inbox.selected);
	return selected ? [selected] : [];
}

/** The task ids of the questions alike the selected one (itself included). */
export function alikeIds(inbox: InboxState): string[] {
	const selected = inbox.questions.find(question => question.taskId === inbox.selected);
	if (!selected) return [];
	const key = alikeKey(selected);
	return inbox.questions.filter(question => alikeKey(question) === key).map(question => question.taskId);
}

/** A fresh list taken in: the selection stays on its task (or the row that took its place), marks on the rows still there. */
export function withQuestions(inbox: InboxState, questions: readonly QuestionView[]): InboxState {
	const ids = questions.map(question => question.taskId);
	let selected = inbox.selected !== undefined && ids.includes(inbox.selected) ? inbox.selected : undefined;
	if (selected === undefined && ids.length > 0) {
		const before = inbox.questions.findIndex(question => question.taskId === inbox.selected);
		selected = ids[Math.min(Math.max(before, 0), ids.length - 1)];
	}
	const {error: _error, ...rest} = inbox;
	return {...rest, questions, selected, marked: inbox.marked.filter(id => ids.includes(id)), isLoading: false};
}

/** A directory as a person writes it: `~` for the home, and only its last parts (after `…/`) when it is long. */
export function shortDirectory(cwd: string, home: string | undefined, max: number): string {
	const tilded = home && home !== '/' && (cwd === home || cwd.startsWith(`${home}/`)) ? `~${cwd.slice(home.length)}` : cwd;
	if ([...tilded].length <= max) return tilded;
	const parts = tilded.split('/');
	// Whole names from the end, as many as fit after `…/`; a single name too long for the column is cut at its start.
	for (let from = 1; from < parts.length; from++) {
		const tail = `…/${parts.slice(from).join('/')}`;
		if ([...tail].length <= max) return tail;
	}
	return `…${[...tilded].slice(-(max - 1)).join('')}`;
}

/** Text in at most `max` characters, shortened at a space with `…` so that no word is cut; a single long word is cut. */
export function fitWords(text: string, max: number): string {
	const characters = [...text];
	if (characters.length <= max) return text;
	if (max <= 1) return '…'.slice(0, max);
	const head = characters.slice(0, max - 1).join('');
	const space = head.lastIndexOf(' ');
	return `${space > max / 2 ? head.slice(0, space) : head}…`;
}
