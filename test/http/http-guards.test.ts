import type {IncomingMessage} from 'node:http';
import {describe, expect, it} from 'vitest';
import {ConfigError} from '../../source/config.js';
import {clientOf, FailedAttempts, FAILED_ATTEMPTS_WINDOW_MS, MAX_FAILED_ATTEMPTS, MAX_TRACKED_CLIENTS} from '../../source/http/failed-attempts.js';
import {checkHostAndOrigin} from '../../source/http/guards.js';
import {checkExposure, httpSettingsFromEnv, isLoopback, parseListenAddress, type HttpSettings} from '../../source/http/http-settings.js';
import {findRoute, HttpError, type HttpRoute} from '../../source/http/router.js';

const requestWith = (headers: Record<string, string>) => ({headers}) as unknown as IncomingMessage;

function refusal(run: () => void): HttpError | undefined {
	try {
		run();
		return undefined;
	} catch (error) {
		if (error instanceof HttpError) return error;
		throw error;
	}
}

describe('listen addresses and exposure', () => {
	it('reads host:port, [v6]:port and a bare port (loopback)', () => {
		expect(parseListenAddress('127.0.0.1:7777', '--http')).toEqual({host: '127.0.0.1', port: 7777});
		expect(parseListenAddress('[::1]:7777', '--http')).toEqual({host: '::1', port: 7777});
		expect(parseListenAddress('7777', '--http')).toEqual({host: '127.0.0.1', port: 7777});
		expect(parseListenAddress('0.0.0.0:0', '--http')).toEqual({host: '0.0.0.0', port: 0});
		for (const bad of ['localhost', ':7777', '1.2.3.4:99999', 'host:port', '']) expect(() => parseListenAddress(bad, '--http')).toThrow(/--http is ".*"; give host:port/);
	});

	it('tells loopback from the rest', () => {
		for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(host), host).toBe(true);
		for (const host of ['0.0.0.0', '::', '192.168.1.2', 'fleet.example.com']) expect(isLoopback(host), host).toBe(false);
	});

	it('refuses plain HTTP beyond loopback unless --insecure, which warns; TLS needs no warning', () => {
		const settings: HttpSettings = {host: '0.0.0.0', port: 7777, hostNames: [], isInsecure: false};
		expect(() => checkExposure(settings)).toThrow(ConfigError);
		expect(checkExposure({...settings, isInsecure: true})).toMatch(/WARNING: serving plain HTTP on 0\.0\.0\.0:7777/);
		expect(checkExposure({...settings, tls: {certPath: 'c', keyPath: 'k'}})).toBeUndefined();
		expect(checkExposure({...settings, host: '127.0.0.1'})).toBeUndefined();
	});

	it('reads CCFLEET_HTTP and its companions; off without it', () => {
		expect(httpSettingsFromEnv({})).toBeUndefined();
		expect(httpSettingsFromEnv({CCFLEET_HTTP: '127.0.0.1:7777', CCFLEET_HTTP_HOST_NAMES: 'Fleet.ts.net, other', CCFLEET_HTTP_INSECURE: '1'})).toEqual({
			host: '127.0.0.1',
			port: 7777,
			hostNames: ['fleet.ts.net', 'other'],
			isInsecure: true,
		});
		expect(() => httpSettingsFromEnv({CCFLEET_HTTP: '127.0.0.1:7777', CCFLEET_TLS_CERT: 'c.pem'})).toThrow(/go together/);
		expect(() => httpSettingsFromEnv({CCFLEET_HTTP: '127.0.0.1:7777', CCFLEET_HTTP_INSECURE: 'sure'})).toThrow(/CCFLEET_HTTP_INSECURE is "sure"; use 1 or 0/);
	});
});

describe('Host and Origin', () => {
	it('takes loopback names with any port, and the names given', () => {
		for (const host of ['127.0.0.1:7777', 'localhost:1', '[::1]:7777', 'localhost'])
			expect(
				refusal(() => checkHostAndOrigin(requestWith({host}), [])),
				host,
			).toBeUndefined();
		expect(refusal(() => checkHostAndOrigin(requestWith({host: 'fleet.ts.net', origin: 'https://fleet.ts.net'}), ['fleet.ts.net']))).toBeUndefined();
		expect(refusal(() => checkHostAndOrigin(requestWith({host: '127.0.0.1:7777', origin: 'http://127.0.0.1:7777'}), []))).toBeUndefined();
	});

	it('refuses other names, a missing Host, and an opaque or foreign Origin with 403', () => {
		expect(refusal(() => checkHostAndOrigin(requestWith({host: 'evil.example.com:7777'}), []))?.status).toBe(403);
		expect(refusal(() => checkHostAndOrigin(requestWith({}), []))?.status).toBe(403);
		expect(refusal(() => checkHostAndOrigin(requestWith({host: 'localhost', origin: 'null'}), []))?.status).toBe(403);
		const foreign = refusal(() => checkHostAndOrigin(requestWith({host: 'localhost', origin: 'https://evil.example.com'}), ['fleet.ts.net']));
		expect(foreign?.message).toContain('(localhost, 127.0.0.1, ::1, fleet.ts.net)');
	});
});

describe('failed token attempts', () => {
	it('refuses an address after its attempts until its window ends, counting each address apart', () => {
		let now = 1_000_000;
		const attempts = new FailedAttempts(() => now);
		for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
			expect(refusal(() => attempts.check('10.0.0.1'))).toBeUndefined();
			attempts.record('10.0.0.1');
		}
		const limited = refusal(() => attempts.check('10.0.0.1'));
		expect(limited?.status).toBe(429);
		expect(limited?.headers['Retry-After']).toBe(String(FAILED_ATTEMPTS_WINDOW_MS / 1000));
		expect(refusal(() => attempts.check('10.0.0.2'))).toBeUndefined();
		now += FAILED_ATTEMPTS_WINDOW_MS - 1000;
		expect(refusal(() => attempts.check('10.0.0.1'))?.headers['Retry-After']).toBe('1');
		now += 1000;
		expect(refusal(() => attempts.check('10.0.0.1'))).toBeUndefined();
	});

	it('counts an IPv6 /64 as one client, and ::ffff:a.b.c.d as a.b.c.d, so new addresses of one network buy no attempts', () => {
		expect(clientOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
		expect(clientOf('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
		expect(clientOf('::1')).toBe('0:0:0:0::/64');
		expect(clientOf('::ffff:10.1.2.3')).toBe('10.1.2.3');
		expect(clientOf('10.1.2.3')).toBe('10.1.2.3');
		const attempts = new FailedAttempts(() => 0);
		for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) attempts.record(`2001:db8:1:2::${attempt.toString(16)}`);
		expect(refusal(() => attempts.check('2001:db8:1:2:abcd::99'))?.status).toBe(429);
		expect(refusal(() => attempts.check('2001:db8:1:3::1'))).toBeUndefined();
		for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) attempts.record('::ffff:10.9.9.9');
		expect(refusal(() => attempts.check('10.9.9.9'))?.status).toBe(429);
	});

	it('remembers a bounded number of clients under a scan from very many addresses, dropping ended windows first', () => {
		let now = 0;
		const attempts = new FailedAttempts(() => now);
		for (let index = 0; index < MAX_TRACKED_CLIENTS * 3; index++) attempts.record(`10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`);
		expect(attempts.trackedClients).toBeLessThanOrEqual(MAX_TRACKED_CLIENTS);
		now += FAILED_ATTEMPTS_WINDOW_MS;
		attempts.record('192.0.2.1');
		expect(attempts.trackedClients).toBe(1);
	});
});

describe('the route table', () => {
	const handle = () => undefined;
	const routes: HttpRoute[] = [
		{method: 'GET', path: '/tasks', access: 'read', handle},
		{method: 'POST', path: '/tasks', access: 'write', handle},
		{method: 'GET', path: '/tasks/:id/logs', access: 'read', handle},
		{method: 'GET', path: '/assets/*', access: 'public', handle},
	];

	it('matches params and a trailing wildcard, and tells a wrong method (405) from no route', () => {
		expect(findRoute(routes, 'GET', '/tasks/a%20b/logs')).toMatchObject({route: routes[2], params: {id: 'a b'}});
		expect(findRoute(routes, 'GET', '/assets/app.js')).toMatchObject({route: routes[3], params: {'*': 'app.js'}});
		expect(findRoute(routes, 'POST', '/tasks')).toMatchObject({route: routes[1]});
		expect(findRoute(routes, 'DELETE', '/tasks')).toEqual({allowed: ['GET', 'POST']});
		expect(findRoute(routes, 'GET', '/tasks/x')).toBeUndefined();
		expect(findRoute(routes, 'GET', '/tasks/%E0%A4%A/logs')).toBeUndefined();
	});
});
