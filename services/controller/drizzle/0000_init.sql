CREATE TABLE `node_attempts` (
	`run_id` text NOT NULL,
	`node_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`runner_id` text,
	`status` text NOT NULL,
	`claimed_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`failure_reason` text,
	`exit_code` integer,
	`error` text,
	PRIMARY KEY(`run_id`, `node_id`, `attempt`)
);
--> statement-breakpoint
CREATE TABLE `node_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`node_id` text NOT NULL,
	`ts` text NOT NULL,
	`ts_ms` integer NOT NULL,
	`cpu_millicores` real NOT NULL,
	`memory_bytes` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `node_metrics_node` ON `node_metrics` (`run_id`,`node_id`,`ts_ms`);--> statement-breakpoint
CREATE TABLE `nodes` (
	`pk` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`node_id` text NOT NULL,
	`status` text NOT NULL,
	`needs` text NOT NULL,
	`requires` text NOT NULL,
	`requires_key` text NOT NULL,
	`timeout_s` integer,
	`retries` integer DEFAULT 0 NOT NULL,
	`attempt` integer DEFAULT 1 NOT NULL,
	`env` text NOT NULL,
	`resources` text NOT NULL,
	`steps` text NOT NULL,
	`runner_id` text,
	`status_detail` text,
	`ready_at` integer,
	`claimed_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`lease_expires_at` integer,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`failure_reason` text,
	`exit_code` integer,
	`error` text,
	`logs` text,
	`output` text,
	`death_log` text,
	`finished_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `nodes_run_node` ON `nodes` (`run_id`,`node_id`);--> statement-breakpoint
CREATE INDEX `nodes_ready` ON `nodes` (`status`,`requires_key`,`ready_at`);--> statement-breakpoint
CREATE INDEX `nodes_status_run` ON `nodes` (`status`,`run_id`);--> statement-breakpoint
CREATE INDEX `nodes_runner` ON `nodes` (`runner_id`,`status`);--> statement-breakpoint
CREATE TABLE `runners` (
	`runner_id` text PRIMARY KEY NOT NULL,
	`labels` text NOT NULL,
	`version` text,
	`capacity` integer,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`pipeline` text NOT NULL,
	`status` text NOT NULL,
	`args` text NOT NULL,
	`git` text,
	`upload_ref` text,
	`local_path` text,
	`trigger_kind` text NOT NULL,
	`trigger_event` text,
	`trigger_actor` text,
	`retry_of` text,
	`idempotency_key` text,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`failure_reason` text,
	`error` text,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_idempotency` ON `runs` (`pipeline`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `runs_pipeline_id` ON `runs` (`pipeline`,`id`);--> statement-breakpoint
CREATE INDEX `runs_status_id` ON `runs` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`sealed` blob NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`prefix` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_hash` ON `tokens` (`hash`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`delivery_id` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`run_id` text,
	`received_at` integer NOT NULL
);
