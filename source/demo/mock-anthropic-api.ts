// A scriptable stand-in for the Anthropic Messages API, so the real `claude` binary can run offline and
// deterministically in tests and in `ccfleet --demo`. Replies are scripted by directives inside the task prompt
// (the language is described in mock-api/directives.ts), which lets one server drive many concurrent workers
// differently. This module is the mock's public face; its parts live in mock-api/.
export {finalPrefix, toolSearchName} from './mock-api/call-script.js';
export {defaultToolCommand} from './mock-api/directives.js';
export {defaultMockReply, toolDoneReply, toolRefusedReply} from './mock-api/reply-plan.js';
export type {PromptScript} from './mock-api/prompt-scripts.js';
export type {MockRequest} from './mock-api/request-log.js';
export {startMockApi, type MockApi, type MockApiOptions} from './mock-api/server.js';
export type {UsageLimitKind, UsageWarning} from './mock-api/usage-limit.js';
