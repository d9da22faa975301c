ALTER TABLE `runs` ADD `bundle_digest` text;--> statement-breakpoint
ALTER TABLE `secrets` ADD `pipelines` text;--> statement-breakpoint
ALTER TABLE `secrets` ADD `branches` text;