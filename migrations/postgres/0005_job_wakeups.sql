-- Wake idle workers in every process as soon as a job is committed:
-- NOTIFY inside a transaction is delivered at commit (and not at all on
-- rollback), so a listener hears only of jobs it can claim. Each worker
-- process LISTENs on certwatch_jobs; polling remains the fallback.
CREATE FUNCTION certwatch_jobs_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('certwatch_jobs', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION certwatch_jobs_notify();
