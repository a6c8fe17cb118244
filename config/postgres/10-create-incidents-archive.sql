-- The incident archive's database beside Temporal's, on the compose file's PostgreSQL service (docker-compose.yml).
-- The postgres image runs this once, when it initialises an empty data volume; on a volume made before, create it
-- by hand once: docker compose exec postgresql createdb --username temporal incidents
-- The `migrate` service then creates and upgrades the archive's schema in it (`incidents archive upgrade`).
CREATE DATABASE incidents;
