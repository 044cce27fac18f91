ALTER TABLE `objects` ADD `acl` text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE `objects` ADD `tags` text DEFAULT '[]' NOT NULL;