import {z} from 'zod';
import {InvalidInputError} from './errors.js';
import {BUILT_IN_ROLES, ROLE_NAME_PATTERN, type RoleDefinition} from './roles.js';
import {BUILT_IN_WORKFLOWS} from './workflow-builtins.js';
import {parseWorkflowTemplate, WorkflowTemplateError, type WorkflowTemplate} from './workflow-template.js';
import type {ConfigFile} from '../ports/workflow-catalog.js';

/** A user's file that could not be used, and why (the message names the file, and the step when there is one). */
export type CatalogFault = {kind: 'role' | 'workflow'; path: string; name: string; message: string};

/** Every role and workflow template there is: the built-in ones, replaced or joined by the user's. */
export type WorkflowCatalog = {
	roles: RoleDefinition[];
	templates: WorkflowTemplate[];
	faults: CatalogFault[];
	/** Where the user's roles/ and workflows/ are, when there is such a place. */
	directory?: string;
};

/** Names a template may not take: they are `ccfleet workflow`'s own subcommands. */
const RESERVED_NAMES = ['list', 'cancel'];

const roleFileSchema = z.strictObject({
	name: z.string().regex(ROLE_NAME_PATTERN).optional(),
	title: z.string().min(1).max(100).optional(),
	prompt: z.string().min(1),
});

/** Builds the catalogue from the user's files (none: the built-ins alone). A bad file is a fault, never a crash. */
export function buildCatalog(files: {roles: readonly ConfigFile[]; workflows: readonly ConfigFile[]; directory?: string} = {roles: [], workflows: []}): WorkflowCatalog {
	const faults: CatalogFault[] = [];
	const roles = new Map(BUILT_IN_ROLES.map(role => [role.name, role]));
	for (const file of files.roles) {
		try {
			const role = readRole(file);
			roles.set(role.name, role);
		} catch (error) {
			faults.push({kind: 'role', path: file.path, name: file.name, message: (error as Error).message});
		}
	}
	const roleNames = [...roles.keys()];
	const templates = new Map<string, WorkflowTemplate>();
	for (const literal of BUILT_IN_WORKFLOWS) {
		const template = parseWorkflowTemplate(structuredClone(literal), {source: 'built-in', fallbackName: literal.name, roles: roleNames});
		templates.set(template.name, template);
	}
	for (const file of files.workflows) {
		try {
			if ('error' in file) throw new WorkflowTemplateError(file.path, undefined, file.error);
			const template = parseWorkflowTemplate(file.content, {source: file.path, fallbackName: file.name, roles: roleNames});
			if (RESERVED_NAMES.includes(template.name)) {
				throw new WorkflowTemplateError(file.path, undefined, `"${template.name}" is a ccfleet workflow subcommand; give the workflow another name.`);
			}
			templates.set(template.name, template);
		} catch (error) {
			if (!(error instanceof WorkflowTemplateError)) throw error;
			faults.push({kind: 'workflow', path: file.path, name: file.name, message: error.message});
			// The user meant to replace the built-in of that name: running the built-in instead would hide their mistake.
			templates.delete(file.name);
		}
	}
	return {roles: [...roles.values()], templates: [...templates.values()], faults, ...(files.directory === undefined ? {} : {directory: files.directory})};
}

/** A role file: YAML or JSON `{prompt, title?}`, or Markdown whose text is the prompt. */
function readRole(file: ConfigFile): RoleDefinition {
	if ('error' in file) throw new Error(`${file.path}: ${file.error}`);
	const content = typeof file.content === 'string' ? {prompt: file.content.trim()} : file.content;
	const parsed = roleFileSchema.safeParse(content);
	if (!parsed.success) {
		const issue = parsed.error.issues[0]!;
		const field = String(issue.path[0] ?? '');
		const fault =
			issue.code === 'unrecognized_keys'
				? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')} (accepted: name, title, prompt).`
				: issue.code === 'invalid_type' && field && (content as Record<string, unknown>)[field] === undefined
					? `missing field "${field}" (the instructions added to the worker's system prompt).`
					: `${field || 'the role'}: ${issue.message}${field ? '' : ' (a role is {prompt, title?}, or Markdown text)'}.`;
		throw new Error(`${file.path}: ${fault}`);
	}
	const name = parsed.data.name ?? file.name;
	if (!ROLE_NAME_PATTERN.test(name)) throw new Error(`${file.path}: the role's name "${name}" must be lower-case letters, digits, - and _, starting with a letter.`);
	return {name, title: parsed.data.title ?? name, prompt: parsed.data.prompt, source: file.path};
}

/** The template of that name; InvalidInputError saying why not (its file's fault, or the names there are). */
export function findTemplate(catalog: WorkflowCatalog, name: string): WorkflowTemplate {
	const template = catalog.templates.find(candidate => candidate.name === name);
	if (template) return template;
	const fault = catalog.faults.find(candidate => candidate.kind === 'workflow' && candidate.name === name);
	if (fault) throw new InvalidInputError(`The workflow "${name}" cannot be used: ${fault.message} Fix the file and try again.`);
	const where = catalog.directory ? `; a new one goes in ${catalog.directory}/workflows/${name}.yaml` : '';
	throw new InvalidInputError(`Unknown workflow "${name}". Workflows: ${catalog.templates.map(known => known.name).join(', ')} (\`ccfleet workflow list\`)${where}.`);
}

/** The role of that name; InvalidInputError naming the roles there are (and a fault in its file, if it has one). */
export function findRole(catalog: WorkflowCatalog, name: string): RoleDefinition {
	const role = catalog.roles.find(candidate => candidate.name === name);
	if (role) return role;
	const fault = catalog.faults.find(candidate => candidate.kind === 'role' && candidate.name === name);
	if (fault) throw new InvalidInputError(`The role "${name}" cannot be used: ${fault.message} Fix the file and try again.`);
	const where = catalog.directory
		? `${catalog.directory}/roles/${name}.md (its instructions) or .yaml ({title, prompt})`
		: "the roles/ folder of ccfleet's config directory";
	throw new InvalidInputError(`Unknown role "${name}". Roles: ${catalog.roles.map(known => known.name).join(', ')}; a new one goes in ${where}.`);
}
