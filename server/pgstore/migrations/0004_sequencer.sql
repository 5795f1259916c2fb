-- The sequencer lease: the server that holds the session advisory lock
-- of the sequencer writes here where the others send their appends.
CREATE TABLE ebios_sequencer (
    id       smallint    PRIMARY KEY CHECK (id = 1),
    url      text        NOT NULL,
    instance text        NOT NULL,
    since    timestamptz NOT NULL DEFAULT now()
);
