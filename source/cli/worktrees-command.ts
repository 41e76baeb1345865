import type {Config} from '../config.js';
import type {WorktreeEntryView} from '../protocol/tool-results.js';
import {CliError, stdout, withFleet, type Output} from './client.js';

export type WorktreesFlags = {unmerged?: boolean; json?: boolean};

/**
 * `ccfleet worktrees`: the worktrees and branches isolated tasks left (task, branch, state);
 * `ccfleet worktrees prune [--unmerged]` removes those of finished tasks.
 */
export async function worktrees(config: Config, input: string[], flags: WorktreesFlags, io: Output = stdout): Promise<number> {
	const [action] = input;
	if (action !== undefined && action !== 'list' && action !== 'prune') {
		throw new CliError(`Unknown worktrees action "${action}". Use: ccfleet worktrees | ccfleet worktrees prune [--unmerged].`);
	}
	if (flags.unmerged && action !== 'prune') throw new CliError('--unmerged goes with prune: ccfleet worktrees prune --unmerged.');
	return withFleet(config, async fleet => {
		const answer = await fleet.call('worktrees', action === 'prune' ? {prune: true, ...(flags.unmerged ? {unmerged: true} : {})} : {});
		if (flags.json) {
			io.out(JSON.stringify(action === 'prune' ? {pruned: answer.pruned, worktrees: answer.worktrees} : answer.worktrees, null, 2));
			return 0;
		}
		if (action === 'prune' && answer.message) io.out(answer.message);
		io.out(formatWorktrees(answer.worktrees, action === 'prune'));
		return 0;
	});
}

export function formatWorktrees(entries: WorktreeEntryView[], afterPrune = false): string {
	if (entries.length === 0) return afterPrune ? 'Nothing is left.' : 'No task has a worktree or branch left.';
	const rows = entries.map(entry => [entry.taskId, entry.state, entry.hasBranch ? entry.branch : '(no branch)', entry.hasDirectory ? entry.path : '(removed)']);
	const widths = [0, 1, 2].map(column => Math.max(...rows.map(row => row[column]!.length), ['TASK', 'STATE', 'BRANCH'][column]!.length));
	const line = (row: string[]) => row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  ');
	const notes = entries.map(entry => `  ${entry.taskId}: ${entry.pullRequestUrl ? `${entry.pullRequestUrl} — ` : ''}${entry.note}`);
	const hint = afterPrune ? [] : ['', 'Remove finished ones: ccfleet worktrees prune (branches only once merged; --unmerged deletes the rest).'];
	return [line(['TASK', 'STATE', 'BRANCH', 'WORKTREE']), ...rows.map(line), '', ...notes, ...hint].join('\n');
}
