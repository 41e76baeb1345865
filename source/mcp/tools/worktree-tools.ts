import type {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js';
import {z} from 'zod';
import type {Fleet} from '../../core/fleet.js';
import {worktreesResultSchema, type WorktreeEntryView} from '../../protocol/tool-results.js';
import {guard, ok} from './tool-result.js';

/** worktrees: what isolated tasks left behind, and pruning it. */
export function registerWorktreeTools(server: McpServer, fleet: Fleet): void {
	server.registerTool(
		'worktrees',
		{
			outputSchema: worktreesResultSchema,
			title: "Isolated tasks' worktrees and branches",
			description: "Worktrees and branches tasks left; prune removes finished ones' (a branch once merged).",
			inputSchema: {
				prune: z.boolean().optional(),
				unmerged: z.boolean().optional().describe('prune unmerged branches too: their work is lost'),
			},
		},
		async ({prune, unmerged}) =>
			guard(async () => {
				if (!prune) {
					const worktrees = await fleet.worktrees.list();
					return ok({worktrees}, worktrees.length === 0 ? 'No task has a worktree or branch left.' : worktrees.map(entryLine).join('\n'));
				}
				const pruned = await fleet.worktrees.prune({unmerged: unmerged ?? false});
				const worktrees = await fleet.worktrees.list();
				return ok({worktrees, pruned}, pruneMessage(pruned));
			}),
	);
}

export function entryLine(entry: WorktreeEntryView): string {
	const where = [entry.hasDirectory ? entry.path : undefined, entry.hasBranch ? `branch ${entry.branch}` : undefined].filter(Boolean).join(', ');
	return `${entry.taskId} ${entry.state} (${entry.status}): ${where} — ${entry.note}`;
}

export function pruneMessage(pruned: {removedDirectories: string[]; deletedBranches: string[]; keptBranches: Array<{taskId: string; branch: string}>}): string {
	const lines = [
		`Removed ${pruned.removedDirectories.length} worktree director${pruned.removedDirectories.length === 1 ? 'y' : 'ies'} and ${pruned.deletedBranches.length} merged branch(es).`,
	];
	if (pruned.keptBranches.length > 0) {
		lines.push(
			`Kept ${pruned.keptBranches.length} branch(es) whose work is not merged: ${pruned.keptBranches.map(kept => `${kept.branch} (task ${kept.taskId})`).join(', ')}. Merge them, or prune with unmerged to delete them.`,
		);
	}
	return lines.join(' ');
}
