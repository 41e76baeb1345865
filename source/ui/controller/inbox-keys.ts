import type {Key} from 'ink';
import type {RespondOptions} from '../fleet-source.js';
import {alikeIds, answerTargets, callText, withQuestions, type InboxState} from '../inbox.js';
import {needsInput, setMode, setStatus, type DashboardState} from '../store.js';
import type {ControllerContext} from './context.js';
import {messageOf} from '../../core/domain/errors.js';

const DENY_MESSAGE = 'The user denied this from the ccfleet dashboard.';

type Answer = {action: 'approve'; always?: RespondOptions['always']} | {action: 'deny'; message: string};

export type InboxKeys = {
	/** I: opens the inbox and fetches the questions; they are fetched again whenever the set of waiting tasks changes. */
	open(): void;
	handleKey(input: string, key: Key): void;
};

/** Which tasks wait, and on what: a change here means the inbox's list is out of date. */
function waitingKey(state: DashboardState): string {
	const tasks = state.snapshot?.tasks ?? [];
	return tasks
		.filter(needsInput)
		.map(task => `${task.id}:${task.question?.question ?? ''}`)
		.sort()
		.join('\n');
}

function plural(n: number): string {
	return `${n} question${n === 1 ? '' : 's'}`;
}

/**
 * The inbox's keys and its data. The list comes from list_questions when the inbox opens and again whenever the
 * pushed (or polled) snapshot shows another set of waiting tasks, never on a timer of its own; answers go to each
 * task by id, so exactly the rows marked are answered.
 */
export function createInboxKeys(context: ControllerContext): InboxKeys {
	const {store, source, results} = context;
	let inFlight: Promise<void> | undefined;
	let isAgain = false;
	let unsubscribe: (() => void) | undefined;

	const current = (): InboxState | undefined => {
		const {mode} = store.getState();
		return mode.kind === 'inbox' ? mode.inbox : undefined;
	};
	const update = (change: (inbox: InboxState) => InboxState) => {
		const inbox = current();
		if (inbox) setMode(store, {kind: 'inbox', inbox: change(inbox)});
	};

	const fetchOnce = async () => {
		try {
			const questions = await source.questions();
			update(inbox => withQuestions(inbox, questions));
		} catch (error) {
			const message = messageOf(error);
			update(inbox => ({...inbox, isLoading: false, error: message}));
		}
	};

	/** One fetch at a time; a change that comes meanwhile asks for one more after it, as the first may have missed it. */
	const refetch = (): Promise<void> => {
		if (inFlight) {
			isAgain = true;
			return inFlight;
		}
		inFlight = (async () => {
			do {
				isAgain = false;
				await fetchOnce();
			} while (isAgain && current());
		})().finally(() => {
			inFlight = undefined;
		});
		return inFlight;
	};

	const open = () => {
		unsubscribe?.();
		setMode(store, {
			kind: 'inbox',
			inbox: {questions: [], marked: [], isLoading: true, isAnswering: false, ...(context.deps.homeDirectory ? {home: context.deps.homeDirectory} : {})},
		});
		let seen = waitingKey(store.getState());
		unsubscribe = store.subscribe(state => {
			if (state.mode.kind !== 'inbox') {
				unsubscribe?.();
				unsubscribe = undefined;
				return;
			}
			const key = waitingKey(state);
			if (key === seen) return;
			seen = key;
			void refetch();
		});
		void refetch();
	};

	const answer = async (how: Answer) => {
		const inbox = current();
		if (!inbox || inbox.isAnswering) return;
		const targets = answerTargets(inbox);
		if (targets.length === 0) {
			setStatus(store, 'No question is waiting.', 'error');
			return;
		}
		update(state => ({...state, isAnswering: true}));
		const outcomes = await Promise.allSettled(
			targets.map(question =>
				how.action === 'approve'
					? source.respond(question.taskId, {action: 'approve'}, how.always ? {always: how.always} : {})
					: source.respond(question.taskId, {action: 'deny', message: how.message}),
			),
		);
		const answered: string[] = [];
		const failures: string[] = [];
		outcomes.forEach((outcome, index) => {
			const id = targets[index]!.taskId;
			if (outcome.status === 'fulfilled') {
				answered.push(id);
				results.task(outcome.value);
			} else failures.push(`${id}: ${messageOf(outcome.reason)}`);
		});
		// Answered rows go at once; the fetch below brings what else changed.
		update(state => ({
			...withQuestions(
				state,
				state.questions.filter(question => !answered.includes(question.taskId)),
			),
			isAnswering: false,
		}));
		const verb = how.action === 'approve' ? 'Approved' : 'Denied';
		const always = how.action === 'approve' && how.always ? `, always allowed for this ${how.always}` : '';
		const done = answered.length > 0 ? `${verb} ${plural(answered.length)}${always}: ${answered.join(', ')}.` : '';
		const failed = failures.length > 0 ? `Not answered: ${failures.join('; ')}` : '';
		setStatus(store, [done, failed].filter(Boolean).join(' '), failures.length > 0 ? 'error' : 'success');
		results.changed();
		await refetch();
	};

	const move = (step: number | 'first' | 'last') => {
		update(inbox => {
			const ids = inbox.questions.map(question => question.taskId);
			if (ids.length === 0) return inbox;
			const index = Math.max(0, ids.indexOf(inbox.selected ?? ''));
			const next = step === 'first' ? 0 : step === 'last' ? ids.length - 1 : Math.min(ids.length - 1, Math.max(0, index + step));
			return {...inbox, selected: ids[next]};
		});
	};

	/** a: marks every question alike the selected one; when they all are marked already, unmarks them. */
	const markAlike = () => {
		const inbox = current();
		const selected = inbox?.questions.find(question => question.taskId === inbox.selected);
		if (!inbox || !selected) return;
		const ids = alikeIds(inbox);
		const isAllMarked = ids.every(id => inbox.marked.includes(id));
		const marked = isAllMarked ? inbox.marked.filter(id => !ids.includes(id)) : [...new Set([...inbox.marked, ...ids])];
		update(state => ({...state, marked}));
		setStatus(
			store,
			isAllMarked ? `Unmarked ${plural(ids.length)} like ${callText(selected)}.` : `Marked ${plural(ids.length)} like ${callText(selected)}: y approves, n denies them.`,
		);
	};

	const toggleMark = () => {
		update(inbox => {
			if (inbox.selected === undefined) return inbox;
			const isMarked = inbox.marked.includes(inbox.selected);
			return {...inbox, marked: isMarked ? inbox.marked.filter(id => id !== inbox.selected) : [...inbox.marked, inbox.selected]};
		});
	};

	/** n asked why: the reason is typed; enter denies with it (or with the dashboard's own words), esc goes back. */
	const handleReasonKey = (reason: string, input: string, key: Key) => {
		if (key.escape) update(({denyReason: _reason, ...inbox}) => inbox);
		else if (key.return) {
			update(({denyReason: _reason, ...inbox}) => inbox);
			void answer({action: 'deny', message: reason.trim() || DENY_MESSAGE});
		} else if (key.backspace || key.delete) update(inbox => ({...inbox, denyReason: [...reason].slice(0, -1).join('')}));
		else if (!key.ctrl && !key.meta && input !== '') update(inbox => ({...inbox, denyReason: reason + input.replace(/[\r\n]+/g, ' ')}));
	};

	const handleKey = (input: string, key: Key) => {
		const inbox = current();
		if (!inbox) return;
		if (inbox.denyReason !== undefined) {
			handleReasonKey(inbox.denyReason, input, key);
			return;
		}
		if (key.escape || input === 'q' || input === 'I') setMode(store, {kind: 'normal'});
		else if (key.upArrow || input === 'k') move(-1);
		else if (key.downArrow || input === 'j') move(1);
		else if (key.home || input === 'g') move('first');
		else if (key.end || input === 'G') move('last');
		else if (input === ' ') toggleMark();
		else if (input === 'a') markAlike();
		else if (input === 'y') void answer({action: 'approve'});
		else if (input === 'A') void answer({action: 'approve', always: 'project'});
		else if (input === 'T') void answer({action: 'approve', always: 'task'});
		else if (input === 'n' && answerTargets(inbox).length > 0 && !inbox.isAnswering) update(state => ({...state, denyReason: ''}));
		else if (input === 'r') void refetch();
	};

	return {open, handleKey};
}
