-- AlterTable
ALTER TABLE "Registration" ADD COLUMN     "stateReason" TEXT;


-- Every state change of a registration writes its history row, whatever code path changed it:
-- the history cannot be forgotten, and a transition costs one statement. clock_timestamp(), not
-- now(), so several changes inside one transaction keep their order.
CREATE FUNCTION "record_registration_transition"() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW."state" IS DISTINCT FROM OLD."state" THEN
    INSERT INTO "RegistrationTransition" ("id", "registrationId", "fromState", "toState", "reason", "at")
    VALUES (gen_random_uuid(), NEW."id", CASE WHEN TG_OP = 'UPDATE' THEN OLD."state" END, NEW."state",
            NEW."stateReason", clock_timestamp());
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "registration_transition"
  AFTER INSERT OR UPDATE OF "state" ON "Registration"
  FOR EACH ROW EXECUTE FUNCTION "record_registration_transition"();
