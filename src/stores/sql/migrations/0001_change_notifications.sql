-- Change feed for key caches on other replicas: every change that bumps `version` (and every delete) sends a
-- NOTIFY on channel switchyard_changes after commit. last_used_at updates do not bump version, so they stay quiet.
-- The payload names the schema, so several deployments (or test runs) can share one database.
CREATE FUNCTION switchyard_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    changed := to_jsonb(OLD);
  ELSE
    changed := to_jsonb(NEW);
  END IF;
  PERFORM pg_notify('switchyard_changes', json_build_object(
    'schema', TG_TABLE_SCHEMA,
    'table', TG_TABLE_NAME,
    'id', changed ->> 'id',
    'tenant_id', coalesce(changed ->> 'tenant_id', changed ->> 'id'),
    'version', (changed ->> 'version')::integer,
    'removed', TG_OP = 'DELETE' OR (changed ->> 'revoked_at') IS NOT NULL
  )::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "tenants_changed" AFTER INSERT OR DELETE OR UPDATE OF "version" ON "tenants"
  FOR EACH ROW EXECUTE FUNCTION switchyard_notify_change();
--> statement-breakpoint
CREATE TRIGGER "api_keys_changed" AFTER INSERT OR DELETE OR UPDATE OF "version" ON "api_keys"
  FOR EACH ROW EXECUTE FUNCTION switchyard_notify_change();
