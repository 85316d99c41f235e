CREATE TABLE "spend_daily" (
	"tenant_id" text NOT NULL,
	"key_id" text NOT NULL,
	"model" text NOT NULL,
	"day" date NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(24, 9) DEFAULT '0' NOT NULL,
	CONSTRAINT "spend_daily_tenant_id_key_id_model_day_pk" PRIMARY KEY("tenant_id","key_id","model","day")
);
--> statement-breakpoint
CREATE INDEX "spend_daily_day_idx" ON "spend_daily" USING btree ("day");