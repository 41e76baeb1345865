import {describe, expect, it} from 'vitest';
import {
	decide,
	emptyRuleSet,
	ruleCovers,
	parsePolicyDocument,
	PolicyFileError,
	rulesToAllow,
	type PolicyLevel,
	type RuleSet,
} from '../../source/core/domain/permission-policy.js';
import {parseRule, ruleMatches, RuleSyntaxError, splitCommand} from '../../source/core/domain/permission-rule.js';

const context = {cwd: '/home/me/app', baseDir: '/home/me/app', home: '/home/me'};
const bash = (command: string) => ({toolName: 'Bash', toolInput: {command}});
const file = (toolName: string, filePath: string) => ({toolName, toolInput: {file_path: filePath}});

describe('a permission rule in Claude Code syntax', () => {
	it.each([
		// rule, call, matches
		['Bash', bash('anything at all'), true],
		['Bash(*)', bash('rm -rf /'), true],
		['Bash(npm test)', bash('npm test'), true],
		['Bash(npm test)', bash('npm  test'), true],
		['Bash(npm test)', bash('npm test --watch'), false],
		['Bash(npm test:*)', bash('npm test'), true],
		['Bash(npm test:*)', bash('npm test -- --run x'), true],
		['Bash(npm test:*)', bash('npm tester'), false],
		['Bash(git * --dry-run)', bash('git push origin --dry-run'), true],
		['Bash(git * --dry-run)', bash('git push origin'), false],
		['Bash(ls *)', bash('lsof'), false],
		['Bash(ls*)', bash('lsof'), true],
		['Read', file('Read', '/etc/passwd'), true],
		['Read', file('Grep', '/etc/passwd'), true],
		['Read', file('Edit', '/etc/passwd'), false],
		['Edit(src/**)', file('Edit', '/home/me/app/src/a/b.ts'), true],
		['Edit(src/**)', file('Write', '/home/me/app/src/new.ts'), true],
		['Edit(src/**)', file('MultiEdit', '/home/me/app/src/x.ts'), true],
		['Edit(src/**)', file('Edit', '/home/me/app/test/a.ts'), false],
		['Edit(src/**)', file('Edit', '/home/me/other/src/a.ts'), false],
		['Edit(./src/**)', file('Edit', 'src/a.ts'), true],
		['Edit(//tmp/scratch.txt)', file('Write', '/tmp/scratch.txt'), true],
		['Edit(//tmp/scratch.txt)', file('Write', '/tmp/other.txt'), false],
		['Read(~/.zshrc)', file('Read', '/home/me/.zshrc'), true],
		['Read(*.env)', file('Read', '/home/me/app/config/prod.env'), true],
		['Read(*.env)', file('Read', '/home/me/app/config/prod.json'), false],
		['Read(/docs)', file('Read', '/home/me/app/docs/a.md'), true],
		['WebFetch(domain:docs.example.com)', {toolName: 'WebFetch', toolInput: {url: 'https://docs.example.com/a'}}, true],
		['WebFetch(domain:docs.example.com)', {toolName: 'WebFetch', toolInput: {url: 'https://evil.com/?docs.example.com'}}, false],
		['WebFetch(domain:*.example.com)', {toolName: 'WebFetch', toolInput: {url: 'https://api.example.com/'}}, true],
		['mcp__github', {toolName: 'mcp__github__create_issue', toolInput: {}}, true],
		['mcp__github', {toolName: 'mcp__githubx__create_issue', toolInput: {}}, false],
		['mcp__github__create_issue', {toolName: 'mcp__github__create_issue', toolInput: {}}, true],
		['mcp__github__create_issue', {toolName: 'mcp__github__delete_repo', toolInput: {}}, false],
		['Task(reviewer)', {toolName: 'Task', toolInput: {subagent_type: 'reviewer'}}, true],
	] as const)('%s on %j → %s', (text, call, matches) => {
		expect(ruleMatches(parseRule(text), call, context)).toBe(matches);
	});

	it.each([
		['', /is not a permission rule/],
		['Bash(', /is not a permission rule/],
		['Bash()', /empty brackets/],
		['Bash(npm:* test)', /":\*" may only end a Bash rule/],
		['WebFetch(example.com)', /names a domain/],
		['mcp__github(x)', /takes no brackets/],
		['bash rm', /is not a permission rule/],
	])('refuses %j saying what is accepted', (text, message) => {
		expect(() => parseRule(text)).toThrow(RuleSyntaxError);
		expect(() => parseRule(text)).toThrow(message);
	});

	it('splits a shell command into the commands it runs, outside quotes', () => {
		expect(splitCommand('npm test && rm -rf / ; echo "a && b" | wc -l')).toEqual({parts: ['npm test', 'rm -rf /', 'echo "a && b"', 'wc -l'], opaque: false});
		expect(splitCommand('npm test 2>&1')).toEqual({parts: ['npm test 2>&1'], opaque: false});
		expect(splitCommand('echo $(curl evil)').opaque).toBe(true);
		expect(splitCommand('echo `id`').opaque).toBe(true);
		expect(splitCommand("echo '$(not run)'").opaque).toBe(false);
	});
});

function level(name: PolicyLevel['level'], rules: Partial<Record<keyof RuleSet, string[]>>): PolicyLevel {
	const set = emptyRuleSet();
	for (const [answer, list] of Object.entries(rules)) set[answer as keyof RuleSet] = list.map(text => ({rule: parseRule(text)}));
	return {level: name, source: `${name} rules`, baseDir: context.baseDir, rules: set};
}

describe('deciding a question by the levels of rules', () => {
	const where = {cwd: context.cwd, home: context.home};

	it('asks when no rule matches', () => {
		expect(decide([level('user', {allow: ['Read']})], bash('npm test'), where)).toEqual({answer: 'ask', rules: []});
	});

	it('deny beats ask beats allow at the same level, and says which rule', () => {
		const levels = [level('project', {allow: ['Bash(git:*)'], ask: ['Bash(git push:*)'], deny: ['Bash(git push --force:*)']})];
		expect(decide(levels, bash('git status'), where).answer).toBe('allow');
		expect(decide(levels, bash('git push origin'), where)).toEqual({answer: 'ask', rules: [{text: 'Bash(git push:*)', level: 'project', source: 'project rules'}]});
		const denied = decide(levels, bash('git push --force origin'), where);
		expect(denied.answer).toBe('deny');
		expect(denied.message).toContain('Bash(git push --force:*)');
	});

	it('the most specific level with a matching rule wins: task over project over user', () => {
		const levels = [level('task', {allow: ['Bash(rm -rf build)']}), level('project', {deny: ['Bash(rm:*)']}), level('user', {allow: ['Bash']})];
		expect(decide(levels, bash('rm -rf build'), where)).toMatchObject({answer: 'allow', rules: [{level: 'task'}]});
		expect(decide(levels, bash('rm -rf src'), where)).toMatchObject({answer: 'deny', rules: [{level: 'project'}]});
		expect(decide(levels, bash('ls'), where)).toMatchObject({answer: 'allow', rules: [{level: 'user'}]});
	});

	it('decides a compound command part by part: one denied part denies, one unknown part asks', () => {
		const levels = [level('project', {allow: ['Bash(npm test:*)', 'Bash(echo:*)'], deny: ['Bash(rm:*)']})];
		expect(decide(levels, bash('npm test && echo done'), where).answer).toBe('allow');
		expect(decide(levels, bash('npm test && rm -rf /'), where).answer).toBe('deny');
		expect(decide(levels, bash('npm test && curl x | sh'), where).answer).toBe('ask');
		expect(decide(levels, bash('echo $(curl evil)'), where).answer).toBe('ask');
		expect(decide([level('user', {allow: ['Bash']})], bash('echo $(date)'), where).answer).toBe('allow');
	});

	it('a rule covers a compound command only when it covers every part, as it would allow it', () => {
		expect(ruleCovers(parseRule('Bash(echo:*)'), bash('echo one && npm --version'), where)).toBe(false);
		expect(ruleCovers(parseRule('Bash(npm test:*)'), bash('npm test -- x'), where)).toBe(true);
		expect(ruleCovers(parseRule('Bash'), bash('echo $(id)'), where)).toBe(true);
	});

	it('turns an answered call into the rules that let exactly it through', () => {
		expect(rulesToAllow(bash('npm  test'))).toEqual(['Bash(npm test)']);
		expect(rulesToAllow(bash('cd web && npm test'))).toEqual(['Bash(cd web)', 'Bash(npm test)']);
		expect(rulesToAllow(file('Write', '/home/me/app/a.ts'))).toEqual(['Edit(//home/me/app/a.ts)']);
		expect(rulesToAllow({toolName: 'WebFetch', toolInput: {url: 'https://docs.example.com/x'}})).toEqual(['WebFetch(domain:docs.example.com)']);
		expect(() => rulesToAllow(bash('echo $(id)'))).toThrow(/no rule short of Bash/);
		for (const call of [bash('cd web && npm test'), file('Write', '/home/me/app/a.ts')]) {
			const levels = [level('task', {allow: rulesToAllow(call)})];
			expect(decide(levels, call, where).answer).toBe('allow');
		}
	});
});

describe('a policy file', () => {
	it('reads rules, deny messages and project sections', () => {
		const document = parsePolicyDocument(
			JSON.stringify({
				permissions: {allow: ['Bash(npm test:*)'], deny: [{rule: 'Bash(rm -rf:*)', message: 'Use npm run clean.'}]},
				projects: {'/home/me/app': {allow: ['Edit(src/**)']}},
			}),
			'/x/policy.json',
		);
		expect(document.rules.allow.map(entry => entry.rule.text)).toEqual(['Bash(npm test:*)']);
		expect(document.rules.deny[0]).toMatchObject({message: 'Use npm run clean.'});
		expect(document.projects.get('/home/me/app')?.allow[0]?.rule.text).toBe('Edit(src/**)');
	});

	it.each([
		[
			'{\n  "permissions": {\n    "allow": [\n      "Bash(npm test:*)",\n      "Bash()"\n    ]\n  }\n}',
			/^\/x\/policy.json:5: in permissions.allow, "Bash\(\)" has empty brackets/,
		],
		['{\n  "permissions": {\n    "alow": []\n  }\n}', /^\/x\/policy.json:3: unknown key "alow" in permissions; accepted: allow, deny, ask/],
		['{\n  "permisions": {}\n}', /^\/x\/policy.json:2: unknown key "permisions"; accepted: permissions, projects/],
		['{\n  "permissions": {"allow": "Bash"}\n}', /permissions.allow must be a list of rules/],
		['{\n  "projects": {"app": {}}\n}', /project "app" must be an absolute directory/],
		['{\n  "permissions": {\n    "deny": [{"rule": "Bash", "mesage": "x"}]\n  }\n}', /:3: in permissions.deny, unknown key "mesage"/],
		['{"permissions": {"allow": [}', /^\/x\/policy.json:1: not valid JSON/],
		['{\n  "permissions": {\n    "allow": [\n    }\n}', /^\/x\/policy.json:4: not valid JSON/],
	])('refuses a bad file with its line and what is accepted (%#)', (text, message) => {
		expect(() => parsePolicyDocument(text, '/x/policy.json')).toThrow(PolicyFileError);
		expect(() => parsePolicyDocument(text, '/x/policy.json')).toThrow(message);
	});
});
