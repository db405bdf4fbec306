ALTER TABLE comments ADD CONSTRAINT comments_body_length CHECK (length(body) >= 20);
