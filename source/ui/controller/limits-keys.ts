import type {Key} from 'ink';
import {describeLimitsChange, LIMIT_FIELDS, limitsChange, type LimitField} from '../limits.js';
import {setMode, setStatus, type LimitsDraft} from '../store.js';
import type {ControllerContext} from './context.js';
import {messageOf} from '../../core/domain/errors.js';

/** Keys in the limits form: typing into the focused field, moving between fields, applying, leaving. */
export function handleLimitsKey(context: ControllerContext, input: string, key: Key): void {
	const {store} = context;
	const {mode} = store.getState();
	if (mode.kind !== 'limits') return;
	const {draft} = mode;
	if (draft.isSubmitting) return;
	const update = (changes: Partial<LimitsDraft>) => setMode(store, {kind: 'limits', draft: {...draft, ...changes}});
	const type = (text: string) => update({typed: {...draft.typed, [draft.field]: text}, error: undefined});
	const current = draft.typed[draft.field];
	if (key.escape) setMode(store, {kind: 'normal'});
	else if (key.return) void apply(context, draft);
	else if (key.tab || key.downArrow || key.upArrow) {
		const step = (key.tab && key.shift) || key.upArrow ? -1 : 1;
		const index = LIMIT_FIELDS.indexOf(draft.field);
		update({field: LIMIT_FIELDS[(index + step + LIMIT_FIELDS.length) % LIMIT_FIELDS.length]!});
	} else if (key.backspace || key.delete) type([...current].slice(0, -1).join(''));
	else if (key.ctrl && input === 'u') type('');
	else if (!key.ctrl && !key.meta && input !== '') type(current + input.replace(/[\r\n]+/g, ''));
}

/** The field a refusal is about: the one it names, else the only one sent, else the first one sent. */
function refusedField(message: string, sent: readonly LimitField[], fallback: LimitField): LimitField {
	return sent.find(field => message.includes(field)) ?? sent[0] ?? fallback;
}

/** Sends the changed fields; success closes the form, a refusal stays in it on the field at fault. */
async function apply(context: ControllerContext, draft: LimitsDraft): Promise<void> {
	const {store} = context;
	const checked = limitsChange(draft.opened, draft.typed);
	if ('error' in checked) {
		setMode(store, {kind: 'limits', draft: {...draft, error: checked.error, field: checked.field}});
		return;
	}
	const sent = Object.keys(checked.change) as LimitField[];
	if (sent.length === 0) {
		setMode(store, {kind: 'normal'});
		setStatus(store, 'The limits stay as they were.');
		return;
	}
	setMode(store, {kind: 'limits', draft: {...draft, isSubmitting: true, error: undefined}});
	try {
		await context.source.configure(checked.change);
		setMode(store, {kind: 'normal'});
		setStatus(store, `limits changed: ${describeLimitsChange(checked.change)}`, 'success');
		context.results.changed();
	} catch (error) {
		const message = messageOf(error);
		setMode(store, {kind: 'limits', draft: {...draft, isSubmitting: false, error: message, field: refusedField(message, sent, draft.field)}});
	}
}
