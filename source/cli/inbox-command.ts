import type {Config} from '../config.js';
import type {QuestionView} from '../protocol/tool-results.js';
import {CliError, stdout, withFleet, type Output} from './client.js';

export type InboxFlags = {always?: string; json?: boolean};

/**
 * `ccfleet inbox`: every permission question waiting across the fleet, oldest first, with the task, its directory
 * and the worker's last lines; `ccfleet inbox approve|deny <rule>` answers every one the rule covers.
 */
export async function inbox(config: Config, input: string[], flags: InboxFlags, io: Output = stdout): Promise<number> {
	const [action, ...rest] = input;
	if (action === undefined || action === 'list') {
		return withFleet(config, async fleet => {
			const {questions} = await fleet.call('list_questions', {});
			io.out(flags.json ? JSON.stringify(questions, null, 2) : formatInbox(questions));
			return 0;
		});
	}
	if (action !== 'approve' && action !== 'deny') {
		throw new CliError(`Unknown inbox action "${action}". Use: ccfleet inbox | ccfleet inbox approve <rule> [--always task|project] | ccfleet inbox deny <rule> [why].`);
	}
	const [rule, ...why] = rest;
	if (!rule) throw new CliError(`ccfleet inbox ${action} needs a rule naming the questions to answer, e.g. 'Bash(npm test:*)' (quote it for the shell).`);
	const always = checkedAlways(flags.always);
	if (always && action === 'deny') throw new CliError('--always goes with approve: it keeps a rule that allows the same call next time.');
	return withFleet(config, async fleet => {
		const {answered, message} = await fleet.call('respond_to_task', {
			matching: rule,
			action,
			...(action === 'deny' && why.length > 0 ? {message: why.join(' ')} : {}),
			...(always ? {always} : {}),
		});
		io.out(message ?? `Answered ${answered?.length ?? 0} question(s).`);
		return answered && answered.length > 0 ? 0 : 1;
	});
}

/** --always: task or project. */
export function checkedAlways(value: string | undefined): 'task' | 'project' | undefined {
	if (value === undefined || value === '') return undefined;
	if (value === 'task' || value === 'project') return value;
	throw new CliError(`--always is "${value}"; use task (this task only) or project (every task in its directory).`);
}

function formatInbox(questions: QuestionView[]): string {
	if (questions.length === 0) return 'No question is waiting.';
	const blocks = questions.map((question, index) => {
		const context = question.context.map(line => `      │ ${line}`).join('\n');
		return [
			`${index + 1}. ${question.taskId}  waiting ${roughDuration(question.waitingMs)}  ${question.host ? `on host ${question.host}  ` : ''}${question.cwd}`,
			`   task: ${question.prompt}`,
			`   asks: ${question.question}`,
			...(context ? [context] : []),
		].join('\n');
	});
	const footer =
		'Answer one: ccfleet respond <id> approve|deny [why] [--always task|project]. ' +
		"All alike: ccfleet inbox approve 'Bash(npm test:*)' (every waiting question the rule covers).";
	return `${questions.length} question(s) waiting, oldest first:\n\n${blocks.join('\n\n')}\n\n${footer}`;
}

/** A span in words, as a person says it: "45 s", "12 min", "3 h". */
export function roughDuration(ms: number): string {
	const seconds = Math.round(ms / 1000);
	return seconds < 90 ? `${seconds} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}
