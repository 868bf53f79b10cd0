-- A machine belongs to the node that first reported it (machines.node_id). Another node reporting
-- the same name is refused for that machine; each (machine, node) claim is kept here, and the
-- first attempt of each is written to history, so a misconfigured or hostile node shows up once
-- instead of at every check-in. Moving a machine is an operator action that clears the claim.
CREATE TABLE machine_claims (
    machine_id VARCHAR(40) NOT NULL REFERENCES machines (id),
    node_id    VARCHAR(40) NOT NULL REFERENCES nodes (id),
    first_at   BIGINT NOT NULL,
    last_at    BIGINT NOT NULL,
    attempts   INTEGER NOT NULL,
    PRIMARY KEY (machine_id, node_id)
);
