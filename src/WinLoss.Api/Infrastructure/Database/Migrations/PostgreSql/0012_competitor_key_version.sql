-- Which version of the competitor matching key (CompetitorNames.Normalize) the stored keys were computed with.
-- At start-up, keys of an older version are recomputed from the names as written (CompetitorKeys.EnsureCurrentAsync).
CREATE TABLE competitor_key_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO competitor_key_version (id, version) VALUES (1, 1);
