-- Limits that every server enforces together.

-- Failed logins per account name (auth's per-account limit): the key is
-- the first 16 bytes of the name's SHA-256; n failures (and attempts under
-- way) fell in the window that ends at window_end.
CREATE TABLE ebios_login_failures (
    name_key   bytea       PRIMARY KEY CHECK (length(name_key) = 16),
    window_end timestamptz NOT NULL,
    n          integer     NOT NULL CHECK (n >= 0)
);
CREATE INDEX ebios_login_failures_window_end ON ebios_login_failures (window_end);

-- Rate-limit tokens taken, per server, route class and client (an IPv4
-- address or an IPv6 prefix, 16 bytes): tokens is the running total that
-- server has taken from that client's bucket; the other servers take from
-- their own buckets what it grew by (ratelimit.Exchanger).
CREATE TABLE ebios_rate_usage (
    server  text             NOT NULL,
    class   text             NOT NULL,
    client  bytea            NOT NULL CHECK (length(client) = 16),
    tokens  double precision NOT NULL CHECK (tokens >= 0),
    updated timestamptz      NOT NULL,
    PRIMARY KEY (server, class, client)
);
CREATE INDEX ebios_rate_usage_updated ON ebios_rate_usage (updated);
