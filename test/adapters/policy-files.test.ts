import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {PolicyFiles} from '../../source/adapters/fs/policy-files.js';
import {decide, PolicyFileError} from '../../source/core/domain/permission-policy.js';

describe('policy files on disk', () => {
	let root: string;
	let userFile: string;
	let project: string;

	beforeEach(() => {
		root = fs.mkdtempSync(path.join(os.tmpdir(), 'ccfleet-policy-'));
		userFile = path.join(root, 'home', 'policy.json');
		project = path.join(root, 'app');
		fs.mkdirSync(path.join(project, 'src'), {recursive: true});
		fs.mkdirSync(path.dirname(userFile), {recursive: true});
	});

	afterEach(() => fs.rmSync(root, {recursive: true, force: true}));

	const write = (file: string, content: unknown) => {
		fs.mkdirSync(path.dirname(file), {recursive: true});
		fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
	};
	const answer = (policies: PolicyFiles, command: string, cwd = path.join(project, 'src')) =>
		decide(policies.levelsFor(cwd), {toolName: 'Bash', toolInput: {command}}, {cwd, home: policies.home});

	it("reads the user's rules, the project's own file found upwards, and the user's section for the project", () => {
		write(userFile, {permissions: {allow: ['Bash(ls:*)']}, projects: {[project]: {allow: ['Bash(make:*)']}}});
		write(path.join(project, '.ccfleet', 'policy.json'), {permissions: {allow: ['Bash(npm test:*)'], deny: ['Bash(make deploy)']}});
		const policies = new PolicyFiles(userFile);
		expect(answer(policies, 'ls -la')).toMatchObject({answer: 'allow', rules: [{level: 'user', source: userFile}]});
		expect(answer(policies, 'npm test')).toMatchObject({answer: 'allow', rules: [{level: 'project', source: path.join(project, '.ccfleet', 'policy.json')}]});
		expect(answer(policies, 'make build')).toMatchObject({answer: 'allow', rules: [{level: 'project'}]});
		// One level for the project: a deny in its own file beats an allow in the user's section for it.
		expect(answer(policies, 'make deploy').answer).toBe('deny');
		expect(answer(policies, 'make build', root).answer).toBe('ask');
	});

	it('reads a file again when it changes, and refuses a broken one with its line', () => {
		const policies = new PolicyFiles(userFile);
		expect(answer(policies, 'npm test').answer).toBe('ask');
		write(userFile, {permissions: {allow: ['Bash(npm test)']}});
		expect(answer(policies, 'npm test').answer).toBe('allow');
		write(userFile, '{\n  "permissions": {\n    "allow": ["Bash(npm test)", "Bash(npm test:* x)"]\n  }\n}\n');
		expect(() => policies.levelsFor(project)).toThrow(PolicyFileError);
		expect(() => policies.check()).toThrow(`${userFile}:3: in permissions.allow, "Bash(npm test:* x)": ":*" may only end a Bash rule`);
	});

	it('"always allow for this project" adds the rules to the user\'s file, private, keeping what else it holds', () => {
		write(userFile, {permissions: {deny: [{rule: 'Bash(rm:*)', message: 'no'}]}});
		const policies = new PolicyFiles(userFile);
		expect(policies.allowForProject(project, ['Bash(make lint)'])).toBe(userFile);
		policies.allowForProject(project, ['Bash(make lint)', 'Bash(make test)']);
		expect(JSON.parse(fs.readFileSync(userFile, 'utf8'))).toEqual({
			permissions: {deny: [{rule: 'Bash(rm:*)', message: 'no'}]},
			projects: {[project]: {allow: ['Bash(make lint)', 'Bash(make test)']}},
		});
		expect(fs.statSync(userFile).mode & 0o777).toBe(0o600);
		expect(answer(policies, 'make test').answer).toBe('allow');
	});

	it('never overwrites a broken file to add a rule', () => {
		write(userFile, '{"permissions": ');
		const policies = new PolicyFiles(userFile);
		expect(() => policies.allowForProject(project, ['Bash(make lint)'])).toThrow(/not valid JSON/);
		expect(fs.readFileSync(userFile, 'utf8')).toBe('{"permissions": ');
	});
});
