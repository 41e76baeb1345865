import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {HttpError, type HttpRoute, type RouteContext} from './router.js';

/**
 * The web page at `/` and its files under `/assets/`. They hold no data (every call they make carries the token),
 * so they are public. The files ship in the package's assets/web/, two folders up from source/http/ and from
 * dist/http/ alike, and are read once, at their first request.
 */
const WEB_ROOT = fileURLToPath(new URL('../../assets/web/', import.meta.url));

/** The page's files by the name it asks for them: an allow-list, so no part of a request's path reaches the file system. */
const ASSETS: Record<string, string> = {
	'app.js': 'text/javascript; charset=utf-8',
	'api.js': 'text/javascript; charset=utf-8',
	'render.js': 'text/javascript; charset=utf-8',
	'task-view.js': 'text/javascript; charset=utf-8',
	'new-task.js': 'text/javascript; charset=utf-8',
	'style.css': 'text/css; charset=utf-8',
	'icon.svg': 'image/svg+xml',
};

/** No inline script or style, nothing from elsewhere; the page talks only to this server. */
export const PAGE_CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self'",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'none'",
	"frame-ancestors 'none'",
].join('; ');

type Asset = {body: Buffer; contentType: string; etag: string};
const loaded = new Map<string, Asset>();

function asset(name: string, contentType: string): Asset {
	let found = loaded.get(name);
	if (!found) {
		const body = readFileSync(path.join(WEB_ROOT, name));
		found = {body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`};
		loaded.set(name, found);
	}
	return found;
}

function send({request, response}: RouteContext, name: string, contentType: string): void {
	const {body, etag} = asset(name, contentType);
	const headers = {
		'Content-Security-Policy': PAGE_CSP,
		'X-Content-Type-Options': 'nosniff',
		'Referrer-Policy': 'no-referrer',
		'X-Frame-Options': 'DENY',
		// Revalidated every time (a 304 while unchanged), so an upgraded ccfleet never serves a stale page.
		'Cache-Control': 'no-cache',
		ETag: etag,
	};
	if (request.headers['if-none-match'] === etag) {
		response.writeHead(304, headers);
		response.end();
		return;
	}
	response.writeHead(200, {...headers, 'Content-Type': contentType, 'Content-Length': body.length});
	response.end(body);
}

export const PAGE_ROUTES: readonly HttpRoute[] = [
	{method: 'GET', path: '/', access: 'public', handle: context => send(context, 'index.html', 'text/html; charset=utf-8')},
	{
		method: 'GET',
		path: '/assets/*',
		access: 'public',
		handle(context) {
			const name = context.params['*'] ?? '';
			const contentType = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
			if (!contentType) throw new HttpError(404, `No page asset "${name}". The page is at /.`);
			send(context, name, contentType);
		},
	},
];
