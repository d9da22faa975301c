CREATE TABLE `commit_statuses` (
	`run_id` text PRIMARY KEY NOT NULL,
	`repo` text NOT NULL,
	`sha` text NOT NULL,
	`pipeline` text NOT NULL,
	`posted` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`done` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `commit_statuses_due` ON `commit_statuses` (`done`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `repos` (
	`full_name` text PRIMARY KEY NOT NULL,
	`clone_url` text NOT NULL,
	`default_branch` text NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`repo` text NOT NULL,
	`pipeline` text NOT NULL,
	`entry` text NOT NULL,
	`next_fire_at` integer,
	`last_fired_at` integer,
	`last_run_id` text,
	PRIMARY KEY(`repo`, `pipeline`, `entry`)
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_ref` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_sha` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_pr` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_fork` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_rule` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `trigger_repo` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `branch` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `concurrency_group` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `delivery_id` text;--> statement-breakpoint
CREATE INDEX `runs_branch_id` ON `runs` (`branch`,`id`);--> statement-breakpoint
CREATE INDEX `runs_event_id` ON `runs` (`trigger_event`,`id`);--> statement-breakpoint
CREATE INDEX `runs_concurrency` ON `runs` (`concurrency_group`,`status`);--> statement-breakpoint
CREATE INDEX `runs_repo_pr` ON `runs` (`trigger_repo`,`trigger_pr`);--> statement-breakpoint
CREATE INDEX `runs_delivery` ON `runs` (`delivery_id`);--> statement-breakpoint
UPDATE `runs` SET `branch` = json_extract(`git`, '$.branch') WHERE `git` IS NOT NULL;
