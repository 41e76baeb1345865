import {describe, expect, it} from 'vitest';
import {workerEnv} from '../../source/adapters/claude/worker-env.js';

describe('workerEnv', () => {
	it("drops a parent Claude Code session's markers and keeps the user's own settings", () => {
		const env = workerEnv(
			{
				PATH: '/usr/bin',
				HOME: '/home/u',
				ANTHROPIC_API_KEY: 'sk-ant-x',
				CLAUDECODE: '1',
				CLAUDE_CODE_ENTRYPOINT: 'cli',
				CLAUDE_CODE_SESSION_ID: 'abc',
				CLAUDE_CODE_CHILD_SESSION: '1',
				CLAUDE_CODE_SSE_PORT: '1234',
				CLAUDE_PROJECT_DIR: '/p',
				CLAUDE_CODE_USE_BEDROCK: '1',
				CLAUDE_CODE_OAUTH_TOKEN: 'tok',
				CLAUDE_CODE_MAX_RETRIES: '2',
				CLAUDE_CONFIG_DIR: '/cfg',
				CLAUDE_PID: '42',
				AI_AGENT: 'claude-code',
				CLAUDE_CODE_MESSAGING_SOCKET: '/tmp/s',
				CLAUDE_CODE_MESSAGING_TOKEN: 'x',
				CLAUDE_CODE_SESSION_ATTENDED: '1',
				CLAUDE_CODE_CHILD_NOTES_DIR: '/n',
				CLAUDE_CODE_EXECPATH: '/bin/claude',
				CLAUDE_EFFORT: 'high',
				TMUX: '/tmp/tmux-0/default,1,0',
				TMUX_PANE: '%3',
				UNSET: undefined,
			},
			{CCFLEET_TASK_ID: 't1'},
		);
		expect(env).toEqual({
			PATH: '/usr/bin',
			HOME: '/home/u',
			ANTHROPIC_API_KEY: 'sk-ant-x',
			CLAUDE_CODE_USE_BEDROCK: '1',
			CLAUDE_CODE_OAUTH_TOKEN: 'tok',
			CLAUDE_CODE_MAX_RETRIES: '2',
			CLAUDE_CONFIG_DIR: '/cfg',
			CCFLEET_TASK_ID: 't1',
		});
	});
});
