/**
 * The workflows ccfleet knows without any file (those of Claude Code Orchestrator MCP). A user's template of the same
 * name in the config directory replaces one. Each step's prompt says what it does; the goal takes {{goal}}'s place,
 * and at its start each step is also given what the steps it depends on left (their results and git state).
 */
export const BUILT_IN_WORKFLOWS = [
	{
		name: 'feature',
		description: 'Feature development: design, implement, then test and document in parallel, then review.',
		steps: [
			{id: 'design', role: 'architect', prompt: 'Design how to build this feature: {{goal}}\nSay which files change, the interfaces, the order of work and the risks.'},
			{id: 'implement', role: 'implementer', dependsOn: ['design'], prompt: 'Implement this feature following the design: {{goal}}'},
			{id: 'test', role: 'tester', dependsOn: ['implement'], prompt: 'Write and run tests for the feature just implemented: {{goal}}'},
			{id: 'document', role: 'documenter', dependsOn: ['implement'], prompt: 'Document the feature just implemented for its users: {{goal}}'},
			{id: 'review', role: 'reviewer', dependsOn: ['test', 'document'], prompt: 'Review the whole change (code, tests, documentation) made for: {{goal}}'},
		],
	},
	{
		name: 'bug-fix',
		description: 'Bug fix: reproduce it with a failing test, fix it, then verify and review in parallel.',
		steps: [
			{id: 'reproduce', role: 'tester', prompt: 'Reproduce this bug with a test that fails because of it, and find its cause: {{goal}}'},
			{id: 'fix', role: 'implementer', dependsOn: ['reproduce'], prompt: 'Fix the cause of this bug so that the reproducing test passes: {{goal}}'},
			{id: 'verify', role: 'tester', dependsOn: ['fix'], prompt: 'Verify the fix of this bug: run the whole test suite and look for regressions: {{goal}}'},
			{id: 'review', role: 'reviewer', dependsOn: ['fix'], prompt: 'Review the fix of this bug: {{goal}}'},
		],
	},
	{
		name: 'refactor',
		description: 'Refactoring: plan it, carry it out without changing behaviour, verify, review.',
		steps: [
			{id: 'plan', role: 'architect', prompt: 'Plan this refactoring in small safe steps, keeping behaviour unchanged: {{goal}}'},
			{id: 'refactor', role: 'implementer', dependsOn: ['plan'], prompt: 'Carry out this refactoring as planned, running the tests after each step: {{goal}}'},
			{id: 'verify', role: 'tester', dependsOn: ['refactor'], prompt: 'Verify that this refactoring changed no behaviour: run and extend the tests: {{goal}}'},
			{id: 'review', role: 'reviewer', dependsOn: ['verify'], prompt: 'Review this refactoring for readability and unchanged behaviour: {{goal}}'},
		],
	},
	{
		name: 'code-review',
		description: 'Code review: correctness and test coverage looked at in parallel, then one report.',
		steps: [
			{id: 'correctness', role: 'reviewer', prompt: 'Review for correctness, security and error handling: {{goal}}'},
			{id: 'coverage', role: 'tester', prompt: 'Check which behaviour of this is untested, and run the existing tests: {{goal}}'},
			{
				id: 'report',
				role: 'reviewer',
				dependsOn: ['correctness', 'coverage'],
				prompt: 'Merge the two reviews into one report, findings ordered by severity, each with file, line and fix: {{goal}}',
			},
		],
	},
] as const;
