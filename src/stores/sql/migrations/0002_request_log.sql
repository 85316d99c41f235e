CREATE TABLE "request_log" (
	"id" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"tenant_id" text,
	"key_id" text,
	"endpoint" text NOT NULL,
	"requested_model" text,
	"model" text,
	"provider" text,
	"status" integer NOT NULL,
	"error_code" text,
	"attempts" integer NOT NULL,
	"latency_ms" double precision NOT NULL,
	"ttft_ms" double precision,
	"input_tokens" integer,
	"output_tokens" integer,
	"cost_usd" double precision,
	"cache" text NOT NULL,
	"degraded" boolean DEFAULT false NOT NULL,
	"trimmed_messages" integer,
	"request_body" text,
	"response_body" text
);
--> statement-breakpoint
CREATE INDEX "request_log_tenant_id_idx" ON "request_log" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE INDEX "request_log_time_idx" ON "request_log" USING btree ("time");