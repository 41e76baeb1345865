/** A file from the user's config directory, read and parsed (YAML, JSON, or a role's Markdown as text) but not yet checked. */
export type ConfigFile = {
	path: string;
	/** The file's name without its extension: the role's or workflow's name unless it gives another. */
	name: string;
} & ({content: unknown} | {error: string});

/**
 * The user's own roles and workflow templates (`${XDG_CONFIG_HOME:-~/.config}/ccfleet/{roles,workflows}/`). Read on
 * every call, so a file added or fixed counts at once, without restarting ccfleet; the core checks what they hold.
 */
export type UserDefinitions = {
	/** The config directory, for messages that say where to put a file. */
	readonly directory: string;
	roles(): ConfigFile[];
	workflows(): ConfigFile[];
};
