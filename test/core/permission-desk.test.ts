import {describe, expect, it} from 'vitest';
import {createFleet, type FleetOptions} from '../../source/core/fleet.js';
import {emptyRuleSet, PolicyFileError, type PolicyLevel} from '../../source/core/domain/permission-policy.js';
import {parseRule} from '../../source/core/domain/permission-rule.js';
import type {PermissionPolicies} from '../../source/core/ports/permission-policies.js';
import {FakeClock} from '../fakes/fake-clock.js';
import {FakeSystemMonitor} from '../fakes/fake-system-monitor.js';
import {FakeWorkerDriver} from '../fakes/fake-worker-driver.js';
import {MemoryOutputLog} from '../fakes/memory-output-log.js';
import {MemoryTaskStore} from '../fakes/memory-task-store.js';
import {SequentialIds} from '../fakes/sequential-ids.js';
import {waitFor} from '../helpers/wait-for.js';

/** Policies held in memory: a project level for /work and a user level, as the policy files would give them. */
class MemoryPolicies implements PermissionPolicies {
	readonly home = '/home/me';
	project = emptyRuleSet();
	user = emptyRuleSet();
	broken: string | undefined;
	added: Array<{dir: string; rules: readonly string[]}> = [];

	levelsFor(cwd: string): PolicyLevel[] {
		if (this.broken) throw new PolicyFileError(this.broken);
		return [
			{level: 'project', source: '/work/.ccfleet/policy.json', baseDir: '/work', rules: cwd.startsWith('/work') ? this.project : emptyRuleSet()},
			{level: 'user', source: '/home/me/.ccfleet/policy.json', baseDir: cwd, rules: this.user},
		];
	}

	allowForProject(dir: string, rules: readonly string[]): string {
		this.added.push({dir, rules});
		this.project.allow.push(...rules.map(text => ({rule: parseRule(text)})));
		return '/home/me/.ccfleet/policy.json';
	}
}

async function setup(options: Partial<FleetOptions> = {}) {
	const clock = new FakeClock();
	const driver = new FakeWorkerDriver({autoplay: true});
	const store = new MemoryTaskStore();
	const policies = new MemoryPolicies();
	const fleet = createFleet(
		{store, output: new MemoryOutputLog(), driver, clock, system: new FakeSystemMonitor(), ids: new SequentialIds(), policies},
		{staggerMs: 0, ...options},
	);
	await fleet.start();
	return {fleet, driver, clock, store, policies};
}

const ended = (fleet: Awaited<ReturnType<typeof setup>>['fleet'], id: string) =>
	waitFor(`${id} to end`, () => (fleet.get(id).status === 'completed' ? fleet.get(id) : undefined));

describe('the permission desk', () => {
	it("answers by the task's own rule without asking anyone, and writes the rule into the log and history", async () => {
		const {fleet, driver} = await setup();
		const states: string[] = [];
		fleet.on('task:updated', ({task}) => states.push(task.status));
		const task = fleet.submit({prompt: 'test it [[tool:bash:npm test]]', cwd: '/work', allow: ['Bash(npm test:*)']});
		const done = await ended(fleet, task.id);
		expect(states).not.toContain('needs_input');
		expect(driver.worker(task.id).answers).toEqual([{behavior: 'allow'}]);
		expect(done.answers).toEqual([
			expect.objectContaining({answer: 'allow', by: 'rule', toolName: 'Bash', rule: {text: 'Bash(npm test:*)', level: 'task', source: `task ${task.id}`}}),
		]);
		expect(fleet.logs(task.id).text).toContain('[ccfleet] allowed Bash(npm test) by the task rule Bash(npm test:*)');
	});

	it("denies by a project rule with the rule's message, which the worker reads", async () => {
		const {fleet, driver, policies} = await setup();
		policies.project.deny.push({rule: parseRule('Bash(rm -rf:*)'), message: 'Never delete build; run npm run clean.'});
		policies.user.allow.push({rule: parseRule('Bash')});
		const task = fleet.submit({prompt: 'clean [[tool:bash:rm -rf build]]', cwd: '/work/app'});
		const done = await ended(fleet, task.id);
		expect(driver.worker(task.id).answers).toEqual([{behavior: 'deny', message: 'Never delete build; run npm run clean.'}]);
		expect(done.answers?.[0]).toMatchObject({answer: 'deny', by: 'rule', rule: {level: 'project'}, message: 'Never delete build; run npm run clean.'});
		// The user's allow-everything rule is less specific than the project's deny.
		expect(driver.requests.at(-1)).toContain('Never delete build');
	});

	it('leaves a question no rule answers in the inbox; "always, for this task" answers the same call next time', async () => {
		const {fleet} = await setup();
		const task = fleet.submit({prompt: 'fetch [[tool:bash:curl -s example.com]]', cwd: '/work'});
		await waitFor('the question', () => fleet.questions().length === 1 || undefined);
		expect(fleet.questions()[0]).toMatchObject({taskId: task.id, question: {toolName: 'Bash', toolInput: {command: 'curl -s example.com'}}});
		fleet.respond(task.id, {behavior: 'allow'}, {always: 'task'});
		expect(fleet.questions()).toEqual([]);
		const done = await ended(fleet, task.id);
		expect(done.allow).toEqual(['Bash(curl -s example.com)']);
		expect(done.answers?.[0]).toMatchObject({answer: 'allow', by: 'person'});
		// Resumed, the same task asks the same thing again: now its own rule answers.
		const resumed = fleet.resume(task.id, 'again [[tool:bash:curl -s example.com]]');
		const again = await ended(fleet, resumed.id);
		expect(again.answers?.at(-1)).toMatchObject({by: 'rule', rule: {text: 'Bash(curl -s example.com)', level: 'task'}});
	});

	it('"always, for this project" keeps the rule in the policy, and the next task in the project passes without asking', async () => {
		const {fleet, policies} = await setup();
		const first = fleet.submit({prompt: 'a [[tool:bash:make lint]]', cwd: '/work'});
		await waitFor('the question', () => fleet.questions().length === 1 || undefined);
		fleet.respond(first.id, {behavior: 'allow'}, {always: 'project'});
		expect(policies.added).toEqual([{dir: '/work', rules: ['Bash(make lint)']}]);
		const second = fleet.submit({prompt: 'b [[tool:bash:make lint]]', cwd: '/work'});
		expect((await ended(fleet, second.id)).answers?.[0]).toMatchObject({by: 'rule', rule: {level: 'project', text: 'Bash(make lint)'}});
	});

	it('answers every waiting question a rule covers at once, oldest first', async () => {
		const {fleet} = await setup();
		const a = fleet.submit({prompt: 'a [[tool:bash:npm test]]', cwd: '/work'});
		const b = fleet.submit({prompt: 'b [[tool:bash:npm test -- --run x]]', cwd: '/work'});
		const c = fleet.submit({prompt: 'c [[tool:bash:curl evil]]', cwd: '/work'});
		await waitFor('three questions', () => fleet.questions().length === 3 || undefined);
		const answered = fleet.respondMatching('Bash(npm test:*)', {behavior: 'allow'});
		expect(answered.map(task => task.id).sort()).toEqual([a.id, b.id].sort());
		expect(fleet.questions().map(question => question.taskId)).toEqual([c.id]);
		expect(() => fleet.respondMatching('Bash(', {behavior: 'allow'})).toThrow(/is not a permission rule/);
	});

	it('announces a question left unanswered, and with CCFLEET_ASK_TIMEOUT denies it saying nobody answered', async () => {
		const {fleet, clock, driver} = await setup({ask: {notifyAfterMs: 120_000, timeoutMs: 600_000, timeoutAnswer: 'deny'}});
		const told: unknown[] = [];
		fleet.on('question:unanswered', event => told.push(event));
		const task = fleet.submit({prompt: 'x [[tool:bash:deploy]]', cwd: '/work'});
		await waitFor('the question', () => fleet.questions().length === 1 || undefined);
		clock.advance(119_000);
		expect(told).toEqual([]);
		clock.advance(1000);
		expect(told).toEqual([expect.objectContaining({taskId: task.id, waitingMs: 120_000})]);
		clock.advance(480_000);
		const done = await ended(fleet, task.id);
		expect(driver.worker(task.id).answers[0]).toMatchObject({behavior: 'deny', message: expect.stringContaining('CCFLEET_ASK_TIMEOUT')});
		expect(done.answers?.[0]).toMatchObject({by: 'timeout', answer: 'deny'});
	});

	it('asks a person when a policy file is broken, and says why in the log', async () => {
		const {fleet, policies} = await setup();
		policies.broken = '/work/.ccfleet/policy.json:3: in permissions.allow, "Bash()" has empty brackets';
		const task = fleet.submit({prompt: 'x [[tool:bash:npm test]]', cwd: '/work', allow: ['Bash(npm test)']});
		await waitFor('the question', () => fleet.questions().length === 1 || undefined);
		expect(fleet.logs(task.id).text).toContain('permission rules not used: /work/.ccfleet/policy.json:3');
	});

	it('refuses a task whose own rule cannot be read, naming it and what is accepted', async () => {
		const {fleet} = await setup();
		expect(() => fleet.submit({prompt: 'x', cwd: '/work', allow: ['Bash(npm test:*)', 'Bash()']})).toThrow(/allow\[1\]: "Bash\(\)" has empty brackets/);
	});
});
