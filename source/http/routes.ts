import type {HttpRoute} from './router.js';
import {REST_ROUTES} from './rest-routes.js';
import {OPENAPI_ROUTES} from './openapi.js';
import {PAGE_ROUTES} from './page-routes.js';

/**
 * Every route of the HTTP server but /mcp (added by the server, it needs the session table). To add a route (the
 * approvals page and its assets, for instance), add its list here in ONE line: `...PAGE_ROUTES,` with `access:
 * 'public'` on the page and its static files (they ask for the token; everything else needs it).
 */
export const ROUTES: readonly HttpRoute[] = [...REST_ROUTES, ...OPENAPI_ROUTES, ...PAGE_ROUTES];
