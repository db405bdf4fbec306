-- Comments moved to another service.
DROP TABLE comments;
